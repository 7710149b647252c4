<?php
/**
 * Wires the bridge's parts into WordPress, once.
 *
 * @package Igny8_WP_Bridge
 */

defined( 'ABSPATH' ) || exit;

/**
 * The bridge: settings, update discovery and verification, lifecycle reports.
 */
final class Igny8_Bridge {

	/**
	 * The one instance, so hooks are never registered twice.
	 *
	 * @var Igny8_Bridge|null
	 */
	private static $instance = null;

	/**
	 * The one HTTP client (one cache and back-off per request).
	 *
	 * @var Igny8_Bridge_Client
	 */
	private $client;

	/**
	 * Lifecycle reporter.
	 *
	 * @var Igny8_Bridge_Reporter
	 */
	private $reporter;

	/**
	 * Update discovery and verification.
	 *
	 * @var Igny8_Bridge_Updates
	 */
	private $updates;

	/**
	 * Settings page.
	 *
	 * @var Igny8_Bridge_Settings
	 */
	private $settings;

	/**
	 * Builds the parts around one HTTP client (one cache and back-off per request).
	 */
	private function __construct() {
		$this->client   = new Igny8_Bridge_Client();
		$this->reporter = new Igny8_Bridge_Reporter( $this->client );
		// Update answers are believed only once verified; a refusal is reported as a health error.
		$trust = new Igny8_Bridge_Trust( $this->client, array( $this->reporter, 'verification_failed' ) );
		$this->client->verify_answers( $trust );
		$this->updates = new Igny8_Bridge_Updates( $this->client, $this->reporter, $trust );
		$this->settings = new Igny8_Bridge_Settings( $this->client );
	}

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
	 */
	public function register() {
		$this->updates->register();
		$this->reporter->register();
		$this->settings->register();
		// A new server, site id or key: forget answers made for the old one, register afresh.
		add_action( 'igny8_bridge_connection_changed', array( $this->client, 'forget_checks' ) );
		add_action( 'igny8_bridge_connection_changed', array( $this->reporter, 'activated' ) );
		register_activation_hook( IGNY8_BRIDGE_FILE, array( $this->reporter, 'activated' ) );
		register_deactivation_hook( IGNY8_BRIDGE_FILE, array( __CLASS__, 'deactivated' ) );
	}

	/**
	 * Stops the bridge's scheduled work; options stay until the plugin is deleted.
	 */
	public static function deactivated() {
		foreach ( array( Igny8_Bridge_Updates::CRON_HOOK, Igny8_Bridge_Reporter::FLUSH_HOOK, Igny8_Bridge_Reporter::DAILY_HOOK ) as $hook ) {
			wp_clear_scheduled_hook( $hook );
		}
	}
}
