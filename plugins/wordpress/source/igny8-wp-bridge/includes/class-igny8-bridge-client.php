<?php
/**
 * The bridge's only way to talk to the IGNY8 plugin service: short timeouts, the site's
 * credentials on every call, answers cached within a request and across requests, and back-off
 * after failures so a slow or dead server costs an admin page at most one timeout per period.
 *
 * @package Igny8_WP_Bridge
 */

defined( 'ABSPATH' ) || exit;

/**
 * HTTP client for the service's public and site routes.
 */
final class Igny8_Bridge_Client {

	/** Seconds an admin page may wait for check-update or info. */
	const TIMEOUT = 5;
	/** How long a check-update answer is reused across requests (WordPress re-checks every 12 h). */
	const CHECK_TTL = 3600;
	/** How long a details-modal answer is reused. */
	const INFO_TTL = 10800;
	/** Answers larger than this are refused as garbage. */
	const MAX_BODY = 1048576;

	/**
	 * Answers already fetched in this request: the update filter fires 2-3 times per check.
	 *
	 * @var array<string, mixed>
	 */
	private $memo = array();

	/**
	 * The keys update answers are verified with (none: answers are taken as they come, as by
	 * the settings page's connection test).
	 *
	 * @var Igny8_Bridge_Trust|null
	 */
	private $trust = null;

	/**
	 * Update answers are believed only as $trust decides.
	 *
	 * @param Igny8_Bridge_Trust $trust Certified keys and what the site believes.
	 */
	public function verify_answers( Igny8_Bridge_Trust $trust ) {
		$this->trust = $trust;
	}

	/**
	 * Is there an update for this plugin? Cached for CHECK_TTL unless forced; null when the
	 * service cannot answer (down, backing off, garbage) or its answer is refused (unsigned,
	 * expired, replayed, a downgrade): then the last verified answer for this version stands.
	 *
	 * @param string $slug    Plugin slug.
	 * @param string $version Installed version (read from disk).
	 * @param bool   $fresh   Skip the cross-request cache (an admin's "Check again").
	 * @return array|null
	 */
	public function check_update( $slug, $version, $fresh = false ) {
		$memo_key = "check:$slug:$version";
		if ( array_key_exists( $memo_key, $this->memo ) ) {
			return $this->memo[ $memo_key ];
		}
		$checks = (array) Igny8_Bridge_Options::get( 'igny8_bridge_checks', array() );
		$cached = isset( $checks[ $slug ] ) && is_array( $checks[ $slug ] ) ? $checks[ $slug ] : null;
		$usable = $cached && $cached['version'] === $version && $cached['url'] === Igny8_Bridge_Options::api_url();
		if ( $usable && ! $fresh && time() - (int) $cached['at'] < self::CHECK_TTL ) {
			return $this->memo[ $memo_key ] = $cached['answer'];
		}
		$query  = array_merge( array( 'current_version' => $version ), self::site_versions() );
		$answer = $this->verified( $slug, "/plugins/$slug/check-update/?" . http_build_query( $query ), $version );
		if ( is_wp_error( $answer ) || ! isset( $answer['update_available'] ) ) {
			// Down, backing off or refused: the last answer for this version still describes the offer.
			return $this->memo[ $memo_key ] = ( $usable ? $cached['answer'] : null );
		}
		$checks[ $slug ] = array(
			'version' => $version,
			'url'     => Igny8_Bridge_Options::api_url(),
			'at'      => time(),
			'answer'  => $answer,
		);
		Igny8_Bridge_Options::set( 'igny8_bridge_checks', $checks );
		$this->remember_announcement( $slug, $answer );
		return $this->memo[ $memo_key ] = $answer;
	}

	/**
	 * The details modal's answer (WordPress' plugins_api shape), cached for INFO_TTL.
	 *
	 * @param string $slug Plugin slug.
	 * @return array|WP_Error
	 */
	public function info( $slug ) {
		$cache_key = 'igny8_bridge_info_' . md5( Igny8_Bridge_Options::api_url() . $slug );
		$cached    = get_site_transient( $cache_key );
		if ( is_array( $cached ) ) {
			return $cached;
		}
		$answer = $this->verified( $slug, "/plugins/$slug/info/" );
		if ( ! is_wp_error( $answer ) ) {
			if ( empty( $answer['name'] ) || empty( $answer['version'] ) ) {
				return new WP_Error( 'igny8_bridge_bad_answer', __( 'The IGNY8 plugin service sent an unreadable answer.', 'igny8-wp-bridge' ) );
			}
			set_site_transient( $cache_key, $answer, self::INFO_TTL );
		}
		return $answer;
	}

	/**
	 * A check-update (with $version) or info answer as the site may believe it
	 * (Igny8_Bridge_Trust::believe()), or a WP_Error when the service failed or was not believed.
	 *
	 * @param string      $slug    Plugin slug.
	 * @param string      $path    Path under the API base, with query.
	 * @param string|null $version The installed version a check-update asked about.
	 * @return array|WP_Error
	 */
	private function verified( $slug, $path, $version = null ) {
		$memo_key = 'signed:' . $path;
		if ( ! array_key_exists( $memo_key, $this->memo ) ) {
			$received                 = $this->exchange( 'GET', $path, null, true );
			$this->memo[ $memo_key ] = is_wp_error( $received ) || null === $this->trust ? Igny8_Bridge_Response::json( $received ) : $this->trust->believe( $slug, $received, $version );
		}
		return $this->memo[ $memo_key ];
	}

	/**
	 * The published key list (GET /keys/), not yet verified.
	 *
	 * @return array|WP_Error
	 */
	public function keys() {
		return $this->get_json( '/keys/' );
	}

	/**
	 * A fresh presigned URL for a package, asked with the site's credentials (the per-site
	 * download allowance, never the per-address one a whole shared host would share).
	 *
	 * @param string $slug    Plugin slug.
	 * @param string $version Version.
	 * @return array|WP_Error
	 */
	public function download_url( $slug, $version ) {
		return $this->get_json( "/plugins/$slug/download-url/?" . http_build_query( array( 'version' => $version ) ), false );
	}

	/**
	 * POSTs a report (register-installation, health-check, track-download).
	 *
	 * @param string $slug  Plugin slug.
	 * @param string $route Site route.
	 * @param array  $body  JSON body.
	 * @return true|WP_Error
	 */
	public function report( $slug, $route, array $body ) {
		$response = $this->send( 'POST', "/plugins/$slug/$route/", $body, true );
		return is_wp_error( $response ) ? $response : true;
	}

	/**
	 * "Test connection": does the server answer, and does it accept this site's key? Ignores
	 * back-off (an admin asked), and clears it on success.
	 *
	 * @return array{ok: bool, message: string}
	 */
	public function test_connection() {
		$version = Igny8_Bridge_Updates::disk_version( IGNY8_BRIDGE_FILE );
		$answer  = $this->send( 'GET', '/plugins/' . IGNY8_BRIDGE_SLUG . '/check-update/?' . http_build_query( array( 'current_version' => $version ) ), null, false );
		if ( is_wp_error( $answer ) ) {
			return array(
				'ok'      => false,
				'message' => $answer->get_error_message(),
			);
		}
		$message = Igny8_Bridge_Options::credentials()
			? __( 'Connected: the IGNY8 plugin service answered and accepted this site\'s key.', 'igny8-wp-bridge' )
			: __( 'The IGNY8 plugin service answered. Enter the site ID and API key to connect this site.', 'igny8-wp-bridge' );
		return array(
			'ok'      => true,
			'message' => $message,
		);
	}

	/**
	 * Asks again at the next check (WordPress discarded its own update data): cached answers
	 * expire now, but each stays as the last verified answer should the next one be refused.
	 */
	public function forget_checks() {
		$this->memo = array();
		$checks     = (array) Igny8_Bridge_Options::get( 'igny8_bridge_checks', array() );
		foreach ( $checks as $slug => $check ) {
			if ( is_array( $check ) ) {
				$checks[ $slug ]['at'] = 0;
			}
		}
		Igny8_Bridge_Options::set( 'igny8_bridge_checks', $checks );
	}

	/**
	 * The announcement for one version of a plugin, as check-update made it.
	 *
	 * @param string $slug    Plugin slug.
	 * @param string $version Version.
	 * @return array|null
	 */
	public function announced( $slug, $version ) {
		$announced = (array) Igny8_Bridge_Options::get( 'igny8_bridge_announced', array() );
		return isset( $announced[ $slug ][ $version ] ) ? $announced[ $slug ][ $version ] : null;
	}

	/**
	 * Keeps what check-update announced about a version (hashes, signature) for when an admin
	 * installs it, hours later; a few versions per plugin.
	 *
	 * @param string $slug   Plugin slug.
	 * @param array  $answer check-update's answer.
	 */
	private function remember_announcement( $slug, array $answer ) {
		$announcement = Igny8_Bridge_Offer::announcement( $answer );
		if ( null === $announcement ) {
			return;
		}
		$announced                   = (array) Igny8_Bridge_Options::get( 'igny8_bridge_announced', array() );
		$versions                    = isset( $announced[ $slug ] ) && is_array( $announced[ $slug ] ) ? $announced[ $slug ] : array();
		$version                     = $announcement['latest_version'];
		if ( isset( $versions[ $version ] ) && $versions[ $version ] === $announcement ) {
			return;
		}
		unset( $versions[ $version ] );
		$versions[ $version ] = $announcement;
		$announced[ $slug ]   = array_slice( $versions, -5, null, true );
		Igny8_Bridge_Options::set( 'igny8_bridge_announced', $announced );
	}

	/**
	 * GET a JSON object, honouring back-off.
	 *
	 * @param string $path       Path under the API base, with query.
	 * @param bool   $anonymous_ok Whether to send the request without credentials when there are none.
	 * @return array|WP_Error
	 */
	private function get_json( $path, $anonymous_ok = true ) {
		if ( ! $anonymous_ok && null === Igny8_Bridge_Options::credentials() ) {
			return new WP_Error( 'igny8_bridge_not_connected', __( 'This site has no IGNY8 site ID and API key yet (Settings > IGNY8 Bridge).', 'igny8-wp-bridge' ) );
		}
		$memo_key = 'get:' . $path;
		if ( array_key_exists( $memo_key, $this->memo ) ) {
			return $this->memo[ $memo_key ];
		}
		return $this->memo[ $memo_key ] = $this->send( 'GET', $path, null, true );
	}

	/**
	 * One request's JSON object, or a WP_Error.
	 *
	 * @param string     $method      GET or POST.
	 * @param string     $path        Path under the API base.
	 * @param array|null $body        JSON body for POST.
	 * @param bool       $honour_backoff Skip the request while backing off.
	 * @return array|WP_Error
	 */
	private function send( $method, $path, $body, $honour_backoff ) {
		return Igny8_Bridge_Response::json( $this->exchange( $method, $path, $body, $honour_backoff ) );
	}

	/**
	 * One request: credentials, short timeout, back-off bookkeeping; the answer as JSON and as
	 * the exact bytes received with their signature headers (what an answer's signature covers).
	 *
	 * @param string     $method      GET or POST.
	 * @param string     $path        Path under the API base.
	 * @param array|null $body        JSON body for POST.
	 * @param bool       $honour_backoff Skip the request while backing off.
	 * @return array{json: array, raw: string, signature: string, key_id: string}|WP_Error
	 */
	private function exchange( $method, $path, $body, $honour_backoff ) {
		$state = (array) Igny8_Bridge_Options::get( 'igny8_bridge_backoff', array() );
		if ( $honour_backoff && ! Igny8_Bridge_Backoff::allows( $state, time() ) ) {
			return new WP_Error(
				'igny8_bridge_backoff',
				sprintf(
					/* translators: 1: the last error, 2: minutes until the next try */
					__( 'The IGNY8 plugin service failed recently (%1$s); next try in %2$d min.', 'igny8-wp-bridge' ),
					isset( $state['error'] ) ? $state['error'] : '',
					max( 1, (int) ceil( ( (int) $state['until'] - time() ) / 60 ) )
				)
			);
		}
		$headers = array(
			'Accept'     => 'application/json',
			'User-Agent' => 'igny8-wp-bridge/' . IGNY8_BRIDGE_VERSION . '; WordPress/' . get_bloginfo( 'version' ) . '; ' . home_url( '/' ),
		);
		$credentials = Igny8_Bridge_Options::credentials();
		if ( $credentials ) {
			$headers['X-IGNY8-Site-ID'] = $credentials['site_id'];
			$headers['X-IGNY8-API-Key'] = $credentials['api_key'];
		}
		$args = array(
			'method'              => $method,
			'timeout'             => self::TIMEOUT,
			'redirection'         => 0,
			'headers'             => $headers,
			'limit_response_size' => self::MAX_BODY,
		);
		if ( null !== $body ) {
			$args['headers']['Content-Type'] = 'application/json';
			$args['body']                    = wp_json_encode( $body );
		}
		$response = wp_remote_request( Igny8_Bridge_Options::api_url() . $path, $args );
		$result   = Igny8_Bridge_Response::read( $response );
		if ( Igny8_Bridge_Response::server_failed( $result ) ) {
			Igny8_Bridge_Options::set( 'igny8_bridge_backoff', Igny8_Bridge_Backoff::failed( $state, time(), $result->get_error_message() ) );
		} elseif ( ! empty( $state ) && ! Igny8_Bridge_Response::server_failed( $result ) ) {
			Igny8_Bridge_Options::delete( 'igny8_bridge_backoff' );
		}
		return is_wp_error( $result ) ? $result : Igny8_Bridge_Response::received( $response, $result );
	}

	/**
	 * The site's WordPress and PHP versions as check-update and the reports send them. WordPress'
	 * own version (e.g. "6.1.1", "6.2-RC1") is left out when the service would not take it as one.
	 *
	 * @return array{wp_version?: string, php_version: string}
	 */
	public static function site_versions() {
		$versions = array( 'php_version' => PHP_MAJOR_VERSION . '.' . PHP_MINOR_VERSION . '.' . PHP_RELEASE_VERSION );
		$wp       = (string) get_bloginfo( 'version' );
		if ( preg_match( '/^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$/', $wp ) ) {
			$versions['wp_version'] = $wp;
		}
		return $versions;
	}
}
