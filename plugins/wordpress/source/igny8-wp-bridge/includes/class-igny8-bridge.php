<?php
/**
 * The bridge: the site's IGNY8 credentials and the update check against the IGNY8 plugin service.
 *
 * @package Igny8_WP_Bridge
 */

defined( 'ABSPATH' ) || exit;

/**
 * Stores the site's IGNY8 credentials and answers WordPress' update check for this plugin.
 */
final class Igny8_Bridge {

	const SLUG           = 'igny8-wp-bridge';
	const OPTION_SITE_ID = 'igny8_bridge_site_id';
	const OPTION_API_KEY = 'igny8_bridge_api_key';
	const SETTINGS_GROUP = 'igny8_bridge';
	const SECTION        = 'igny8_bridge_credentials';

	/**
	 * The one instance, so hooks are never registered twice.
	 *
	 * @var Igny8_Bridge|null
	 */
	private static $instance = null;

	/**
	 * Returns the shared instance.
	 *
	 * @return Igny8_Bridge
	 */
	public static function instance() {
		if ( null === self::$instance ) {
			self::$instance = new self();
		}
		return self::$instance;
	}

	/**
	 * Hooks the bridge into WordPress.
	 *
	 * The update filter is named after the host in the plugin's "Update URI" header: WordPress
	 * (5.8+) never asks WordPress.org about this plugin, only whoever handles that host.
	 */
	public function register() {
		add_action( 'admin_menu', array( $this, 'add_settings_page' ) );
		add_action( 'admin_init', array( $this, 'register_settings' ) );
		add_filter( 'update_plugins_api.igny8.com', array( $this, 'check_for_update' ), 10, 3 );
	}

	/**
	 * Adds Settings > IGNY8 Bridge, visible to administrators only.
	 */
	public function add_settings_page() {
		add_options_page(
			__( 'IGNY8 Bridge', 'igny8-wp-bridge' ),
			__( 'IGNY8 Bridge', 'igny8-wp-bridge' ),
			'manage_options',
			self::SLUG,
			array( $this, 'render_settings_page' )
		);
	}

	/**
	 * Registers both options with sanitizers; options.php then checks the nonce and capability.
	 */
	public function register_settings() {
		register_setting(
			self::SETTINGS_GROUP,
			self::OPTION_SITE_ID,
			array(
				'type'              => 'string',
				'sanitize_callback' => array( $this, 'sanitize_site_id' ),
				'default'           => '',
			)
		);
		register_setting(
			self::SETTINGS_GROUP,
			self::OPTION_API_KEY,
			array(
				'type'              => 'string',
				'sanitize_callback' => array( $this, 'sanitize_api_key' ),
				'default'           => '',
			)
		);
		add_settings_section( self::SECTION, __( 'Site credentials', 'igny8-wp-bridge' ), '__return_false', self::SLUG );
		add_settings_field(
			self::OPTION_SITE_ID,
			__( 'Site ID', 'igny8-wp-bridge' ),
			array( $this, 'render_site_id_field' ),
			self::SLUG,
			self::SECTION,
			array( 'label_for' => self::OPTION_SITE_ID )
		);
		add_settings_field(
			self::OPTION_API_KEY,
			__( 'API key', 'igny8-wp-bridge' ),
			array( $this, 'render_api_key_field' ),
			self::SLUG,
			self::SECTION,
			array( 'label_for' => self::OPTION_API_KEY )
		);
	}

	/**
	 * Keeps the site ID a single plain-text line.
	 *
	 * @param mixed $value Submitted value.
	 * @return string
	 */
	public function sanitize_site_id( $value ) {
		return is_string( $value ) ? sanitize_text_field( $value ) : '';
	}

	/**
	 * An empty field keeps the stored key: the key is never printed back into the page.
	 *
	 * @param mixed $value Submitted value.
	 * @return string
	 */
	public function sanitize_api_key( $value ) {
		$value = is_string( $value ) ? sanitize_text_field( $value ) : '';
		return '' === $value ? (string) get_option( self::OPTION_API_KEY, '' ) : $value;
	}

	/**
	 * Renders the settings page.
	 */
	public function render_settings_page() {
		if ( ! current_user_can( 'manage_options' ) ) {
			return;
		}
		?>
		<div class="wrap">
			<h1><?php echo esc_html( get_admin_page_title() ); ?></h1>
			<form action="options.php" method="post">
				<?php
				settings_fields( self::SETTINGS_GROUP );
				do_settings_sections( self::SLUG );
				submit_button();
				?>
			</form>
		</div>
		<?php
	}

	/**
	 * Renders the site ID input.
	 */
	public function render_site_id_field() {
		printf(
			'<input type="text" id="%1$s" name="%1$s" value="%2$s" class="regular-text" />',
			esc_attr( self::OPTION_SITE_ID ),
			esc_attr( (string) get_option( self::OPTION_SITE_ID, '' ) )
		);
	}

	/**
	 * Renders the API key input, always empty.
	 */
	public function render_api_key_field() {
		$saved = '' !== (string) get_option( self::OPTION_API_KEY, '' );
		printf(
			'<input type="password" id="%1$s" name="%1$s" value="" class="regular-text" autocomplete="off" placeholder="%2$s" />',
			esc_attr( self::OPTION_API_KEY ),
			esc_attr( $saved ? __( 'Saved. Leave empty to keep it.', 'igny8-wp-bridge' ) : '' )
		);
	}

	/**
	 * Answers WordPress' update check for this plugin from the IGNY8 plugin service.
	 *
	 * @param array|false $update      Update data from an earlier filter, or false.
	 * @param array       $plugin_data The plugin's header data.
	 * @param string      $plugin_file Plugin path relative to the plugins directory.
	 * @return array|false
	 */
	public function check_for_update( $update, $plugin_data, $plugin_file ) {
		if ( plugin_basename( IGNY8_BRIDGE_FILE ) !== $plugin_file ) {
			return $update;
		}
		$url      = add_query_arg(
			'current_version',
			rawurlencode( (string) $plugin_data['Version'] ),
			IGNY8_BRIDGE_API_URL . self::SLUG . '/check-update/'
		);
		$response = wp_remote_get( $url, array( 'timeout' => 10 ) );
		if ( is_wp_error( $response ) || 200 !== wp_remote_retrieve_response_code( $response ) ) {
			return $update;
		}
		$body = json_decode( wp_remote_retrieve_body( $response ), true );
		if ( ! is_array( $body ) || empty( $body['latest_version'] ) || empty( $body['download_url'] ) ) {
			return $update;
		}
		return array(
			'slug'         => self::SLUG,
			'version'      => (string) $body['latest_version'],
			'package'      => (string) $body['download_url'],
			'url'          => 'https://igny8.com',
			'requires'     => isset( $body['requires'] ) ? (string) $body['requires'] : '',
			'tested'       => isset( $body['tested'] ) ? (string) $body['tested'] : '',
			'requires_php' => isset( $body['requires_php'] ) ? (string) $body['requires_php'] : '',
		);
	}
}
