<?php
/**
 * WordPress' update machinery, served from the IGNY8 plugin service: discovery (with or without
 * wordpress.org), the details modal, forced background updates, and a hard integrity check of
 * every package before WordPress unzips it.
 *
 * @package Igny8_WP_Bridge
 */

defined( 'ABSPATH' ) || exit;

/**
 * Update discovery and package verification for every plugin the bridge manages: itself, and any
 * installed plugin whose "Update URI" points at the service.
 */
final class Igny8_Bridge_Updates {

	const CRON_HOOK = 'igny8_bridge_background_updates';

	/**
	 * HTTP client.
	 *
	 * @var Igny8_Bridge_Client
	 */
	private $client;

	/**
	 * Lifecycle reporter (verification failures are reported).
	 *
	 * @var Igny8_Bridge_Reporter
	 */
	private $reporter;

	/**
	 * The keys this site trusts.
	 *
	 * @var Igny8_Bridge_Trust
	 */
	private $trust;

	/**
	 * Constructor.
	 *
	 * @param Igny8_Bridge_Client   $client   HTTP client.
	 * @param Igny8_Bridge_Reporter $reporter Reporter.
	 * @param Igny8_Bridge_Trust    $trust    Certified keys.
	 */
	public function __construct( Igny8_Bridge_Client $client, Igny8_Bridge_Reporter $reporter, Igny8_Bridge_Trust $trust ) {
		$this->client   = $client;
		$this->reporter = $reporter;
		$this->trust    = $trust;
	}

	/**
	 * Hooks into WordPress.
	 */
	public function register() {
		// Runs on every update check, also when wordpress.org is unreachable (update_plugins_{host}
		// would run only after a successful wordpress.org check).
		add_filter( 'pre_set_site_transient_update_plugins', array( $this, 'inject' ) );
		// Read time: keeps offers visible if something saved the transient without them (no HTTP).
		add_filter( 'site_transient_update_plugins', array( $this, 'inject_cached' ) );
		add_action( 'delete_site_transient_update_plugins', array( $this->client, 'forget_checks' ) );
		add_filter( 'plugins_api', array( $this, 'plugins_api' ), 10, 3 );
		add_filter( 'upgrader_pre_download', array( $this, 'pre_download' ), 10, 4 );
		add_action( self::CRON_HOOK, array( $this, 'background_updates' ) );
		add_action( 'init', array( $this, 'schedule' ) );
	}

	/**
	 * The managed plugins installed here: plugin file => slug.
	 *
	 * @return array<string, string>
	 */
	public static function managed() {
		if ( ! function_exists( 'get_plugins' ) ) {
			require_once ABSPATH . 'wp-admin/includes/plugin.php';
		}
		$bases   = Igny8_Bridge_Options::api_bases();
		$managed = array( plugin_basename( IGNY8_BRIDGE_FILE ) => IGNY8_BRIDGE_SLUG );
		foreach ( get_plugins() as $file => $data ) {
			$slug = Igny8_Bridge_Offer::managed_slug( isset( $data['UpdateURI'] ) ? $data['UpdateURI'] : '', $bases );
			if ( null !== $slug && dirname( $file ) === $slug ) {
				$managed[ $file ] = $slug;
			}
		}
		return $managed;
	}

	/**
	 * The version of a plugin as on disk: right after an update, the old code is still in memory.
	 *
	 * @param string $file Absolute path of the plugin's main file.
	 * @return string
	 */
	public static function disk_version( $file ) {
		if ( ! function_exists( 'get_plugin_data' ) ) {
			require_once ABSPATH . 'wp-admin/includes/plugin.php';
		}
		$data = get_plugin_data( $file, false, false );
		return isset( $data['Version'] ) ? (string) $data['Version'] : '';
	}

	/**
	 * Puts each managed plugin's offer (or its no_update entry) into the update transient.
	 *
	 * @param mixed $transient The update_plugins transient being saved.
	 * @return mixed
	 */
	public function inject( $transient ) {
		$fresh = is_admin() && ! empty( $_GET['force-check'] ); // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- a read-only refresh, as core's own.
		return $this->apply( $transient, true, $fresh );
	}

	/**
	 * The same from cached answers only, when the transient is read.
	 *
	 * @param mixed $transient The update_plugins transient as read.
	 * @return mixed
	 */
	public function inject_cached( $transient ) {
		return $this->apply( $transient, false, false );
	}

	/**
	 * Fills the transient.
	 *
	 * @param mixed $transient The transient.
	 * @param bool  $may_fetch Whether this may ask the service (else cached answers only).
	 * @param bool  $fresh     Whether to skip the client's cross-request cache.
	 * @return mixed
	 */
	private function apply( $transient, $may_fetch, $fresh ) {
		if ( ! is_object( $transient ) ) {
			if ( ! $may_fetch ) {
				return $transient;
			}
			$transient = new stdClass();
		}
		if ( ! isset( $transient->response ) || ! is_array( $transient->response ) ) {
			$transient->response = array();
		}
		if ( ! isset( $transient->no_update ) || ! is_array( $transient->no_update ) ) {
			$transient->no_update = array();
		}
		foreach ( self::managed() as $file => $slug ) {
			$version = self::disk_version( WP_PLUGIN_DIR . '/' . $file );
			if ( '' === $version ) {
				continue;
			}
			$answer = $may_fetch ? $this->client->check_update( $slug, $version, $fresh ) : $this->cached_answer( $slug, $version );
			$item   = Igny8_Bridge_Offer::update_item( $answer, $file, $slug );
			if ( null === $item ) {
				continue; // No answer: leave what WordPress has.
			}
			if ( ! empty( $answer['update_available'] ) ) {
				$transient->response[ $file ] = (object) $item;
				unset( $transient->no_update[ $file ] );
			} else {
				$transient->no_update[ $file ] = (object) $item;
				unset( $transient->response[ $file ] ); // e.g. the offered version was pulled.
			}
			if ( isset( $transient->checked ) && is_array( $transient->checked ) ) {
				$transient->checked[ $file ] = $version;
			}
		}
		return $transient;
	}

	/**
	 * The cached check-update answer for a version, without asking the service.
	 *
	 * @param string $slug    Plugin slug.
	 * @param string $version Installed version.
	 * @return array|null
	 */
	private function cached_answer( $slug, $version ) {
		$checks = (array) Igny8_Bridge_Options::get( 'igny8_bridge_checks', array() );
		$cached = isset( $checks[ $slug ] ) ? $checks[ $slug ] : null;
		return is_array( $cached ) && $cached['version'] === $version ? $cached['answer'] : null;
	}

	/**
	 * The "View details" modal for managed plugins, from the service's info.
	 *
	 * @param mixed  $result Earlier answer (false).
	 * @param string $action plugins_api action.
	 * @param object $args   Request arguments.
	 * @return mixed
	 */
	public function plugins_api( $result, $action, $args ) {
		if ( 'plugin_information' !== $action || ! is_object( $args ) || empty( $args->slug ) || ! in_array( $args->slug, self::managed(), true ) ) {
			return $result;
		}
		$info = $this->client->info( (string) $args->slug );
		if ( is_wp_error( $info ) ) {
			return new WP_Error( 'plugins_api_failed', $info->get_error_message() );
		}
		$info['slug'] = (string) $args->slug;
		foreach ( array( 'sections', 'banners', 'icons', 'versions', 'contributors', 'tags' ) as $field ) {
			$info[ $field ] = isset( $info[ $field ] ) && is_array( $info[ $field ] ) ? $info[ $field ] : array();
		}
		foreach ( $info['sections'] as $name => $html ) {
			$info['sections'][ $name ] = wp_kses_post( (string) $html ); // The service sanitises; so do we.
		}
		$info['external'] = true;
		return (object) $info;
	}

	/**
	 * Downloads and verifies a managed plugin's package before WordPress unzips it: SHA-256 as
	 * announced by check-update, Ed25519 by a key the pinned root certified. Every update path
	 * (AJAX, bulk, update.php link, background) goes through here; any doubt aborts the update
	 * with the plugin on disk untouched.
	 *
	 * @param mixed       $reply      False, or an earlier filter's answer.
	 * @param string      $package    The package URL.
	 * @param WP_Upgrader $upgrader   The upgrader.
	 * @param array       $hook_extra Context: 'plugin' is the plugin file being updated.
	 * @return mixed The verified file's path, a WP_Error, or $reply for packages not ours.
	 */
	public function pre_download( $reply, $package, $upgrader = null, $hook_extra = array() ) {
		$managed = self::managed();
		$file    = is_array( $hook_extra ) && isset( $hook_extra['plugin'] ) ? (string) $hook_extra['plugin'] : '';
		$slug    = isset( $managed[ $file ] ) ? $managed[ $file ] : Igny8_Bridge_Offer::package_slug( $package, Igny8_Bridge_Options::api_bases() );
		if ( null === $slug || is_wp_error( $reply ) ) {
			return $reply;
		}
		$version = Igny8_Bridge_Offer::package_version( $package );
		if ( null === $version && '' !== $file ) {
			$updates = get_site_transient( 'update_plugins' );
			$version = isset( $updates->response[ $file ]->new_version ) ? (string) $updates->response[ $file ]->new_version : null;
		}
		if ( null === $version ) {
			return $this->refuse( $slug, '', __( 'The package does not name its version.', 'igny8-wp-bridge' ) );
		}
		$path = is_string( $reply ) && file_exists( $reply ) ? $reply : $this->download( $slug, $version, $package, $upgrader );
		if ( is_wp_error( $path ) ) {
			return $path;
		}
		try {
			$announced = $this->announcement( $slug, $version, $file );
			Igny8_Bridge_Verifier::verify_package( $path, $announced, $this->trust->keys( (string) $announced['signature_key_id'] ) );
		} catch ( Igny8_Bridge_Verification_Error $error ) {
			wp_delete_file( $path );
			return $this->refuse( $slug, $version, $error->getMessage() );
		}
		$verified          = (array) Igny8_Bridge_Options::get( 'igny8_bridge_verified', array() );
		$verified[ $slug ] = $version;
		Igny8_Bridge_Options::set( 'igny8_bridge_verified', $verified );
		return $path;
	}

	/**
	 * Fetches the package: through the site's own download-url when connected, else the
	 * service's stable (anonymous) package URL; never from another host.
	 *
	 * @param string           $slug     Plugin slug.
	 * @param string           $version  Version.
	 * @param string           $package  The package URL WordPress was given.
	 * @param WP_Upgrader|null $upgrader For progress feedback.
	 * @return string|WP_Error Temp file path.
	 */
	private function download( $slug, $version, $package, $upgrader ) {
		if ( $upgrader && isset( $upgrader->skin ) && isset( $upgrader->strings['downloading_package'] ) ) {
			$upgrader->skin->feedback( 'downloading_package', $package );
		}
		if ( null !== Igny8_Bridge_Options::credentials() ) {
			$link = $this->client->download_url( $slug, $version );
			if ( is_wp_error( $link ) ) {
				return new WP_Error( 'download_failed', $link->get_error_message() );
			}
			$url = isset( $link['url'] ) && is_string( $link['url'] ) ? $link['url'] : '';
		} else {
			$url = Igny8_Bridge_Offer::package_slug( $package, Igny8_Bridge_Options::api_bases() ) === $slug ? $package : '';
		}
		if ( '' === $url ) {
			return $this->refuse( $slug, $version, __( 'The package does not come from the IGNY8 plugin service.', 'igny8-wp-bridge' ) );
		}
		if ( ! function_exists( 'download_url' ) ) {
			require_once ABSPATH . 'wp-admin/includes/file.php';
		}
		$path = download_url( $url, 300 );
		return is_wp_error( $path ) ? new WP_Error( 'download_failed', $path->get_error_message() ) : $path;
	}

	/**
	 * What check-update announced for this exact version; asks again (fresh) when nothing is
	 * remembered, e.g. the offer predates this bridge.
	 *
	 * @param string $slug    Plugin slug.
	 * @param string $version Version.
	 * @param string $file    Plugin file, if known.
	 * @return array
	 * @throws Igny8_Bridge_Verification_Error When the service never announced this version.
	 */
	private function announcement( $slug, $version, $file ) {
		$announced = $this->client->announced( $slug, $version );
		if ( null === $announced && '' !== $file ) {
			$this->client->check_update( $slug, self::disk_version( WP_PLUGIN_DIR . '/' . $file ), true );
			$announced = $this->client->announced( $slug, $version );
		}
		if ( null === $announced ) {
			throw new Igny8_Bridge_Verification_Error( sprintf( 'The IGNY8 plugin service never announced %1$s %2$s to this site.', $slug, $version ) );
		}
		return $announced;
	}

	/**
	 * Aborts an update with a clear message, and reports the failure to the service.
	 *
	 * @param string $slug    Plugin slug.
	 * @param string $version Version refused.
	 * @param string $why     Reason.
	 * @return WP_Error
	 */
	private function refuse( $slug, $version, $why ) {
		/* translators: 1: plugin slug, 2: version, 3: reason */
		$message = sprintf( __( 'IGNY8 Bridge refused the update of %1$s %2$s: %3$s The plugin was not changed.', 'igny8-wp-bridge' ), $slug, $version, $why );
		$this->reporter->verification_failed( $slug, $message );
		return new WP_Error( 'igny8_bridge_verification_failed', $message );
	}

	/**
	 * Schedules the bridge's own background run: core's only fires after a successful
	 * wordpress.org check, so a firewalled site would never install a forced update.
	 */
	public function schedule() {
		if ( ! wp_next_scheduled( self::CRON_HOOK ) ) {
			wp_schedule_event( time() + 300, 'twicedaily', self::CRON_HOOK );
		}
	}

	/**
	 * Checks now and lets WordPress' automatic updater install what it may: forced offers
	 * (autoupdate) and those whose auto-update toggle is on.
	 */
	public function background_updates() {
		$updates = get_site_transient( 'update_plugins' );
		$updates = $this->apply( is_object( $updates ) ? $updates : new stdClass(), true, true );
		set_site_transient( 'update_plugins', $updates );
		$enabled = (array) get_site_option( 'auto_update_plugins', array() );
		$pending = false;
		foreach ( array_keys( self::managed() ) as $file ) {
			if ( isset( $updates->response[ $file ] ) && ( ! empty( $updates->response[ $file ]->autoupdate ) || in_array( $file, $enabled, true ) ) ) {
				$pending = true;
			}
		}
		if ( $pending && function_exists( 'wp_maybe_auto_update' ) ) {
			wp_maybe_auto_update();
		}
	}
}
