<?php
/**
 * When to stop asking a failing server: exponential back-off with a ceiling.
 *
 * Pure PHP, unit-tested with `php` alone. WordPress checks for updates inline on admin pages, so
 * a hanging server would cost the admin a timeout on every check; with this, it costs at most one
 * timeout per back-off period.
 *
 * @package Igny8_WP_Bridge
 */

defined( 'ABSPATH' ) || defined( 'IGNY8_BRIDGE_TESTING' ) || exit;

/**
 * The back-off state is a plain array (stored in an option): failures, until, error.
 */
final class Igny8_Bridge_Backoff {

	const FIRST_DELAY = 300;
	const MAX_DELAY   = 21600;

	/**
	 * Seconds to wait after the given number of consecutive failures: 5 min, 10, 20, ... 6 h.
	 *
	 * @param int $failures Consecutive failures so far (1 after the first).
	 * @return int
	 */
	public static function delay( $failures ) {
		$failures = max( 1, (int) $failures );
		return (int) min( self::MAX_DELAY, self::FIRST_DELAY * pow( 2, min( 16, $failures - 1 ) ) );
	}

	/**
	 * Whether a request may be sent now.
	 *
	 * @param array $state Stored state.
	 * @param int   $now   Unix time.
	 * @return bool
	 */
	public static function allows( array $state, $now ) {
		return empty( $state['until'] ) || (int) $state['until'] <= $now;
	}

	/**
	 * The state after a failed request.
	 *
	 * @param array  $state Stored state.
	 * @param int    $now   Unix time.
	 * @param string $error What went wrong, for the settings page.
	 * @return array
	 */
	public static function failed( array $state, $now, $error ) {
		$failures = ( isset( $state['failures'] ) ? (int) $state['failures'] : 0 ) + 1;
		return array(
			'failures' => $failures,
			'until'    => $now + self::delay( $failures ),
			'error'    => (string) $error,
			'at'       => $now,
		);
	}
}
