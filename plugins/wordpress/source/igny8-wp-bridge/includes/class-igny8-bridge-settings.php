<?php
/**
 * Settings > IGNY8 Bridge (Network Admin > Settings when network-activated): server URL, site
 * ID, API key (never printed back), and "Test connection".
 *
 * @package Igny8_WP_Bridge
 */

defined( 'ABSPATH' ) || exit;

/**
 * The settings page.
 */
final class Igny8_Bridge_Settings {

	const PAGE  = 'igny8-wp-bridge';
	const GROUP = 'igny8_bridge';

	/**
	 * HTTP client, for "Test connection".
	 *
	 * @var Igny8_Bridge_Client
	 */
	private $client;

	/**
	 * Constructor.
	 *
	 * @param Igny8_Bridge_Client $client HTTP client.
	 */
	public function __construct( Igny8_Bridge_Client $client ) {
		$this->client = $client;
	}

	/**
	 * Hooks into WordPress.
	 */
	public function register() {
		add_action( 'admin_menu', array( $this, 'add_page' ) );
		add_action( 'network_admin_menu', array( $this, 'add_network_page' ) );
		add_action( 'admin_init', array( $this, 'register_settings' ) );
		add_action( 'network_admin_edit_' . self::GROUP, array( $this, 'save_network' ) );
		add_action( 'admin_post_igny8_bridge_test', array( $this, 'test_connection' ) );
		foreach ( array( Igny8_Bridge_Options::SITE_ID, Igny8_Bridge_Options::API_KEY, Igny8_Bridge_Options::API_URL ) as $option ) {
			add_action( "update_option_$option", array( $this, 'connection_changed' ) );
			add_action( "add_option_$option", array( $this, 'connection_changed' ) );
			add_action( "update_site_option_$option", array( $this, 'connection_changed' ) );
			add_action( "add_site_option_$option", array( $this, 'connection_changed' ) );
		}
	}

	/**
	 * Settings > IGNY8 Bridge, unless the network owns the settings.
	 */
	public function add_page() {
		if ( Igny8_Bridge_Options::network_wide() ) {
			return;
		}
		add_options_page( __( 'IGNY8 Bridge', 'igny8-wp-bridge' ), __( 'IGNY8 Bridge', 'igny8-wp-bridge' ), 'manage_options', self::PAGE, array( $this, 'render' ) );
	}

	/**
	 * Network Admin > Settings > IGNY8 Bridge when network-activated.
	 */
	public function add_network_page() {
		if ( ! Igny8_Bridge_Options::network_wide() ) {
			return;
		}
		add_submenu_page( 'settings.php', __( 'IGNY8 Bridge', 'igny8-wp-bridge' ), __( 'IGNY8 Bridge', 'igny8-wp-bridge' ), 'manage_network_options', self::PAGE, array( $this, 'render' ) );
	}

	/**
	 * The three options, each with its sanitiser; options.php checks the nonce and capability.
	 */
	public function register_settings() {
		$fields = array(
			Igny8_Bridge_Options::API_URL => array( __( 'Server URL', 'igny8-wp-bridge' ), 'sanitize_api_url', 'render_api_url' ),
			Igny8_Bridge_Options::SITE_ID => array( __( 'Site ID', 'igny8-wp-bridge' ), 'sanitize_site_id', 'render_site_id' ),
			Igny8_Bridge_Options::API_KEY => array( __( 'API key', 'igny8-wp-bridge' ), 'sanitize_api_key', 'render_api_key' ),
		);
		add_settings_section( 'igny8_bridge_connection', __( 'Connection to IGNY8', 'igny8-wp-bridge' ), '__return_false', self::PAGE );
		foreach ( $fields as $option => $field ) {
			register_setting(
				self::GROUP,
				$option,
				array(
					'type'              => 'string',
					'sanitize_callback' => array( $this, $field[1] ),
					'default'           => '',
				)
			);
			add_settings_field( $option, $field[0], array( $this, $field[2] ), self::PAGE, 'igny8_bridge_connection', array( 'label_for' => $option ) );
		}
	}

	/**
	 * Keeps a valid http(s) URL; an invalid one is refused with a message and the old value kept.
	 *
	 * @param mixed $value Submitted value.
	 * @return string
	 */
	public function sanitize_api_url( $value ) {
		$value = is_string( $value ) ? trim( $value ) : '';
		if ( '' === $value ) {
			return '';
		}
		$url = Igny8_Bridge_Offer::normalize_api_url( esc_url_raw( $value, array( 'http', 'https' ) ) );
		if ( '' === $url ) {
			add_settings_error( Igny8_Bridge_Options::API_URL, 'invalid', __( 'The server URL must be an http(s) URL, e.g. https://api.igny8.com/api.', 'igny8-wp-bridge' ) );
			return (string) Igny8_Bridge_Options::get( Igny8_Bridge_Options::API_URL, '' );
		}
		return $url;
	}

	/**
	 * Keeps the site ID a single plain-text token.
	 *
	 * @param mixed $value Submitted value.
	 * @return string
	 */
	public function sanitize_site_id( $value ) {
		$value = is_scalar( $value ) ? trim( sanitize_text_field( (string) $value ) ) : '';
		if ( '' !== $value && ! preg_match( '/^[A-Za-z0-9_-]{1,64}$/', $value ) ) {
			add_settings_error( Igny8_Bridge_Options::SITE_ID, 'invalid', __( 'The site ID has letters, digits, "-" and "_" only.', 'igny8-wp-bridge' ) );
			return (string) Igny8_Bridge_Options::get( Igny8_Bridge_Options::SITE_ID, '' );
		}
		return $value;
	}

	/**
	 * An empty field keeps the stored key: the key is never printed back into the page.
	 *
	 * @param mixed $value Submitted value.
	 * @return string
	 */
	public function sanitize_api_key( $value ) {
		$value = is_string( $value ) ? trim( sanitize_text_field( $value ) ) : '';
		return '' === $value ? (string) Igny8_Bridge_Options::get( Igny8_Bridge_Options::API_KEY, '' ) : $value;
	}

	/**
	 * The site's connection changed: whoever kept state for the old one hears it
	 * (igny8_bridge_connection_changed: the client's cache, the reporter's registrations).
	 */
	public function connection_changed() {
		Igny8_Bridge_Options::delete( 'igny8_bridge_backoff' );
		do_action( 'igny8_bridge_connection_changed' );
	}

	/**
	 * Saves the network-wide settings (Network Admin has no options.php).
	 */
	public function save_network() {
		check_admin_referer( self::GROUP . '-options' );
		if ( ! current_user_can( 'manage_network_options' ) ) {
			wp_die( esc_html__( 'Sorry, you are not allowed to manage these settings.', 'igny8-wp-bridge' ), 403 );
		}
		// phpcs:disable WordPress.Security.NonceVerification.Missing -- checked above.
		$posted = array(
			Igny8_Bridge_Options::API_URL => 'sanitize_api_url',
			Igny8_Bridge_Options::SITE_ID => 'sanitize_site_id',
			Igny8_Bridge_Options::API_KEY => 'sanitize_api_key',
		);
		foreach ( $posted as $option => $sanitizer ) {
			if ( Igny8_Bridge_Options::API_URL === $option && Igny8_Bridge_Options::api_url_locked() ) {
				continue;
			}
			$value = isset( $_POST[ $option ] ) ? wp_unslash( $_POST[ $option ] ) : ''; // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- sanitised next.
			update_site_option( $option, $this->$sanitizer( $value ) );
		}
		// phpcs:enable
		wp_safe_redirect( add_query_arg( array( 'page' => self::PAGE, 'updated' => 'true' ), network_admin_url( 'settings.php' ) ) );
		exit;
	}

	/**
	 * "Test connection": asks the server with this site's key and shows the answer.
	 */
	public function test_connection() {
		check_admin_referer( 'igny8_bridge_test' );
		$capability = Igny8_Bridge_Options::network_wide() ? 'manage_network_options' : 'manage_options';
		if ( ! current_user_can( $capability ) ) {
			wp_die( esc_html__( 'Sorry, you are not allowed to manage these settings.', 'igny8-wp-bridge' ), 403 );
		}
		$result = $this->client->test_connection();
		set_transient( 'igny8_bridge_test_' . get_current_user_id(), $result, 60 );
		$page = Igny8_Bridge_Options::network_wide() ? network_admin_url( 'settings.php' ) : admin_url( 'options-general.php' );
		wp_safe_redirect( add_query_arg( array( 'page' => self::PAGE ), $page ) );
		exit;
	}

	/**
	 * Renders the page.
	 */
	public function render() {
		$capability = Igny8_Bridge_Options::network_wide() ? 'manage_network_options' : 'manage_options';
		if ( ! current_user_can( $capability ) ) {
			return;
		}
		$action = Igny8_Bridge_Options::network_wide() ? network_admin_url( 'edit.php?action=' . self::GROUP ) : admin_url( 'options.php' );
		$test   = get_transient( 'igny8_bridge_test_' . get_current_user_id() );
		delete_transient( 'igny8_bridge_test_' . get_current_user_id() );
		$backoff = (array) Igny8_Bridge_Options::get( 'igny8_bridge_backoff', array() );
		?>
		<div class="wrap">
			<h1><?php echo esc_html( get_admin_page_title() ); ?></h1>
			<?php if ( is_array( $test ) ) : ?>
				<div id="igny8-bridge-test-result" class="notice <?php echo $test['ok'] ? 'notice-success' : 'notice-error'; ?>"><p><?php echo esc_html( $test['message'] ); ?></p></div>
			<?php elseif ( ! empty( $backoff['error'] ) ) : ?>
				<div class="notice notice-warning"><p><?php echo esc_html( sprintf( /* translators: %s: error */ __( 'The last request to the IGNY8 plugin service failed: %s', 'igny8-wp-bridge' ), $backoff['error'] ) ); ?></p></div>
			<?php endif; ?>
			<?php settings_errors(); ?>
			<form action="<?php echo esc_url( $action ); ?>" method="post">
				<?php
				settings_fields( self::GROUP );
				do_settings_sections( self::PAGE );
				submit_button();
				?>
			</form>
			<form action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>" method="post">
				<input type="hidden" name="action" value="igny8_bridge_test" />
				<?php wp_nonce_field( 'igny8_bridge_test' ); ?>
				<?php submit_button( __( 'Test connection', 'igny8-wp-bridge' ), 'secondary', 'igny8-bridge-test', false ); ?>
			</form>
		</div>
		<?php
	}

	/**
	 * The server URL input; read-only when wp-config.php defines IGNY8_BRIDGE_API_URL.
	 */
	public function render_api_url() {
		$locked = Igny8_Bridge_Options::api_url_locked();
		printf(
			'<input type="url" id="%1$s" name="%1$s" value="%2$s" class="regular-text" placeholder="%3$s" %4$s/>',
			esc_attr( Igny8_Bridge_Options::API_URL ),
			esc_attr( $locked ? Igny8_Bridge_Options::api_url() : (string) Igny8_Bridge_Options::get( Igny8_Bridge_Options::API_URL, '' ) ),
			esc_attr( Igny8_Bridge_Options::DEFAULT_API ),
			$locked ? 'disabled="disabled" ' : ''
		);
		$note = $locked
			? __( 'Set by IGNY8_BRIDGE_API_URL in wp-config.php.', 'igny8-wp-bridge' )
			: __( 'Leave empty for the IGNY8 production service. Staging sites: enter your staging service here.', 'igny8-wp-bridge' );
		printf( '<p class="description">%s</p>', esc_html( $note ) );
	}

	/**
	 * The site ID input.
	 */
	public function render_site_id() {
		printf(
			'<input type="text" id="%1$s" name="%1$s" value="%2$s" class="regular-text" autocomplete="off" />',
			esc_attr( Igny8_Bridge_Options::SITE_ID ),
			esc_attr( (string) Igny8_Bridge_Options::get( Igny8_Bridge_Options::SITE_ID, '' ) )
		);
	}

	/**
	 * The API key input, always empty.
	 */
	public function render_api_key() {
		$saved = '' !== (string) Igny8_Bridge_Options::get( Igny8_Bridge_Options::API_KEY, '' );
		printf(
			'<input type="password" id="%1$s" name="%1$s" value="" class="regular-text" autocomplete="new-password" placeholder="%2$s" />',
			esc_attr( Igny8_Bridge_Options::API_KEY ),
			esc_attr( $saved ? __( 'Saved. Leave empty to keep it.', 'igny8-wp-bridge' ) : '' )
		);
	}
}
