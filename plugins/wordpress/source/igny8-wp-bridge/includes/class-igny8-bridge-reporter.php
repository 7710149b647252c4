<?php
/**
 * Lifecycle reports to the service (register-installation, health-check, track-download), queued
 * and sent from WP-cron so no admin page ever waits for them, retried with back-off, bounded.
 *
 * @package Igny8_WP_Bridge
 */

defined( 'ABSPATH' ) || exit;

/**
 * Detects "new code is running" and queues what the service should hear.
 */
final class Igny8_Bridge_Reporter {

	const FLUSH_HOOK  = 'igny8_bridge_send_reports';
	const DAILY_HOOK  = 'igny8_bridge_daily_health';
	const MAX_QUEUE   = 50;
	const MAX_TRIES   = 8;
	const BATCH       = 10;

	/**
	 * HTTP client.
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
		// Activation hooks never run on updates: the first request that runs new code reports it.
		add_action( 'init', array( $this, 'detect_new_code' ), 20 );
		add_action( 'init', array( $this, 'schedule' ) );
		add_action( 'upgrader_process_complete', array( $this, 'recheck_soon' ) );
		add_action( 'activated_plugin', array( $this, 'recheck_soon' ) );
		add_action( 'deactivated_plugin', array( $this, 'plugin_deactivated' ) );
		add_action( self::FLUSH_HOOK, array( $this, 'flush' ) );
		add_action( self::DAILY_HOOK, array( $this, 'daily' ) );
	}

	/**
	 * The bridge was activated: report every managed plugin now (queued).
	 */
	public function activated() {
		Igny8_Bridge_Options::set( 'igny8_bridge_running', array(), true );
		Igny8_Bridge_Options::set( 'igny8_bridge_recheck', 1, true );
		$this->detect_new_code();
	}

	/**
	 * Makes the next request compare the versions on disk with the ones last reported.
	 */
	public function recheck_soon() {
		Igny8_Bridge_Options::set( 'igny8_bridge_recheck', 1, true );
	}

	/**
	 * Compares each managed plugin's version with the last one reported; a change means new code
	 * runs now: register it, report health, and confirm a verified download as installed.
	 * Cheap on ordinary requests: the bridge's own version is a constant, others are read from
	 * disk only after an upgrade or activation.
	 */
	public function detect_new_code() {
		$running = (array) Igny8_Bridge_Options::get( 'igny8_bridge_running', array() );
		$recheck = (bool) Igny8_Bridge_Options::get( 'igny8_bridge_recheck', false );
		if ( ! $recheck && isset( $running[ IGNY8_BRIDGE_SLUG ] ) && IGNY8_BRIDGE_VERSION === $running[ IGNY8_BRIDGE_SLUG ] ) {
			return;
		}
		if ( $recheck ) {
			Igny8_Bridge_Options::set( 'igny8_bridge_recheck', 0, true ); // Kept (autoloaded): a missing option costs a query per request.
		}
		$verified = (array) Igny8_Bridge_Options::get( 'igny8_bridge_verified', array() );
		$changed  = false;
		foreach ( Igny8_Bridge_Updates::managed() as $file => $slug ) {
			$version = IGNY8_BRIDGE_SLUG === $slug ? IGNY8_BRIDGE_VERSION : Igny8_Bridge_Updates::disk_version( WP_PLUGIN_DIR . '/' . $file );
			if ( '' === $version || ( isset( $running[ $slug ] ) && $running[ $slug ] === $version ) ) {
				continue;
			}
			$updated          = isset( $running[ $slug ] );
			$running[ $slug ] = $version;
			$changed          = true;
			$this->enqueue( $slug, 'register-installation', $this->environment( array( 'site_url' => home_url( '/' ) ), $version ) );
			$message = $updated
				? sprintf( 'running %s after an update', $version )
				: sprintf( 'running %s', $version );
			$this->enqueue( $slug, 'health-check', $this->health( $file, $version, $message ) );
			if ( isset( $verified[ $slug ] ) && $verified[ $slug ] === $version ) {
				$this->enqueue( $slug, 'track-download', array( 'version' => $version ) );
				unset( $verified[ $slug ] );
			}
		}
		if ( $changed ) {
			Igny8_Bridge_Options::set( 'igny8_bridge_running', $running, true );
			Igny8_Bridge_Options::set( 'igny8_bridge_verified', $verified );
		}
	}

	/**
	 * A managed plugin was deactivated: the service hears it is inactive.
	 *
	 * @param string $file Plugin file.
	 */
	public function plugin_deactivated( $file ) {
		$managed = Igny8_Bridge_Updates::managed();
		if ( isset( $managed[ $file ] ) ) {
			$version = Igny8_Bridge_Updates::disk_version( WP_PLUGIN_DIR . '/' . $file );
			$this->enqueue( $managed[ $file ], 'health-check', $this->environment( array( 'status' => 'inactive', 'message' => 'deactivated' ), $version ) );
			$this->flush(); // A deactivated bridge gets no more cron runs of its own.
		}
	}

	/**
	 * A package was refused: the service hears it as a health error.
	 *
	 * @param string $slug    Plugin slug.
	 * @param string $message What was refused and why.
	 */
	public function verification_failed( $slug, $message ) {
		$version = '';
		foreach ( Igny8_Bridge_Updates::managed() as $file => $managed_slug ) {
			if ( $managed_slug === $slug ) {
				$version = Igny8_Bridge_Updates::disk_version( WP_PLUGIN_DIR . '/' . $file );
			}
		}
		if ( '' !== $version ) {
			$this->enqueue( $slug, 'health-check', $this->environment( array( 'status' => 'error', 'message' => substr( $message, 0, 500 ) ), $version ) );
		}
	}

	/**
	 * Daily health of every managed plugin.
	 */
	public function daily() {
		foreach ( Igny8_Bridge_Updates::managed() as $file => $slug ) {
			$version = Igny8_Bridge_Updates::disk_version( WP_PLUGIN_DIR . '/' . $file );
			if ( '' !== $version ) {
				$this->enqueue( $slug, 'health-check', $this->health( $file, $version, 'daily check' ) );
			}
		}
	}

	/**
	 * Keeps the daily health check scheduled.
	 */
	public function schedule() {
		if ( ! wp_next_scheduled( self::DAILY_HOOK ) ) {
			wp_schedule_event( time() + HOUR_IN_SECONDS, 'daily', self::DAILY_HOOK );
		}
	}

	/**
	 * Queues a report and asks WP-cron to send it soon; without credentials there is nobody to
	 * report as, so nothing is queued.
	 *
	 * @param string $slug  Plugin slug.
	 * @param string $route Site route.
	 * @param array  $body  JSON body.
	 */
	public function enqueue( $slug, $route, array $body ) {
		if ( null === Igny8_Bridge_Options::credentials() ) {
			return;
		}
		$queue   = (array) Igny8_Bridge_Options::get( 'igny8_bridge_queue', array() );
		$queue[] = array(
			'slug'  => $slug,
			'route' => $route,
			'body'  => $body,
			'tries' => 0,
			'next'  => 0,
		);
		Igny8_Bridge_Options::set( 'igny8_bridge_queue', array_slice( $queue, -self::MAX_QUEUE ) );
		if ( ! wp_next_scheduled( self::FLUSH_HOOK ) ) {
			wp_schedule_single_event( time(), self::FLUSH_HOOK );
		}
	}

	/**
	 * Sends queued reports that are due, a few at a time; stops at the first server failure
	 * (the client's back-off then holds the rest). A report the service refuses as invalid (4xx)
	 * is dropped: sending it again would not change the answer.
	 */
	public function flush() {
		$queue = (array) Igny8_Bridge_Options::get( 'igny8_bridge_queue', array() );
		$kept  = array();
		$sent  = 0;
		$stop  = false;
		foreach ( $queue as $report ) {
			if ( $stop || $sent >= self::BATCH || (int) $report['next'] > time() ) {
				$kept[] = $report;
				continue;
			}
			++$sent;
			$result = $this->client->report( $report['slug'], $report['route'], $report['body'] );
			if ( ! is_wp_error( $result ) ) {
				continue;
			}
			$data   = $result->get_error_data();
			$status = is_array( $data ) && isset( $data['status'] ) ? (int) $data['status'] : 0;
			if ( $status >= 400 && $status < 500 && 429 !== $status && 401 !== $status ) {
				continue;
			}
			$report['tries'] = (int) $report['tries'] + 1;
			$report['next']  = time() + Igny8_Bridge_Backoff::delay( $report['tries'] );
			$stop            = true;
			if ( $report['tries'] < self::MAX_TRIES ) {
				$kept[] = $report;
			}
		}
		Igny8_Bridge_Options::set( 'igny8_bridge_queue', $kept );
		if ( $kept && ! wp_next_scheduled( self::FLUSH_HOOK ) ) {
			$next = min( array_map( static function ( $report ) { return (int) $report['next']; }, $kept ) );
			wp_schedule_single_event( max( time() + 60, $next ), self::FLUSH_HOOK );
		}
	}

	/**
	 * A health report for a plugin: active or inactive on this site.
	 *
	 * @param string $file    Plugin file.
	 * @param string $version Version.
	 * @param string $message Message.
	 * @return array
	 */
	private function health( $file, $version, $message ) {
		if ( ! function_exists( 'is_plugin_active' ) ) {
			require_once ABSPATH . 'wp-admin/includes/plugin.php';
		}
		$status = ( is_plugin_active( $file ) || ( is_multisite() && is_plugin_active_for_network( $file ) ) ) ? 'active' : 'inactive';
		return $this->environment(
			array(
				'status'  => $status,
				'message' => $message,
			),
			$version
		);
	}

	/**
	 * Adds version and the site's WordPress and PHP versions to a body.
	 *
	 * @param array  $body    Body.
	 * @param string $version Plugin version.
	 * @return array
	 */
	private function environment( array $body, $version ) {
		return array_merge( $body, array( 'version' => $version ), Igny8_Bridge_Client::site_versions() );
	}
}
