<?php
/**
 * Signed, expiring update answers: what a site believes of check-update and info.
 *
 * Pure PHP (ext-sodium, or WordPress' sodium_compat): no WordPress function is called here, so the
 * checks that decide whether a site believes an answer are unit-tested with `php` alone.
 *
 * @package Igny8_WP_Bridge
 */

defined( 'ABSPATH' ) || defined( 'IGNY8_BRIDGE_TESTING' ) || exit;

/**
 * Verifies an answer's signature and freshness, then whether it may replace what the site
 * already believes (no replay of an older answer, no offer below one already made).
 *
 * The service signs the exact bytes of each check-update and info body with its metadata key
 * (X-IGNY8-Signature, X-IGNY8-Key-Id); the body states signed_at and expires (24 h later), so the
 * signature binds them. Someone between the service and the site (a CDN, a proxy, a compromised
 * API front) can then neither forge nor alter an answer, nor replay one for longer than a day.
 */
final class Igny8_Bridge_Answers {

	/** Clock difference tolerated either way between the service and this site (seconds). */
	const SKEW = 3600;
	/** The longest validity an answer may claim (seconds): a stolen key cannot sign for years. */
	const MAX_VALIDITY = 172800;

	/**
	 * The answer's JSON, once its signature, key and times hold.
	 *
	 * @param string $body      The body exactly as received.
	 * @param string $signature X-IGNY8-Signature (base64).
	 * @param string $key_id    X-IGNY8-Key-Id.
	 * @param array  $keys      Certified keys (Igny8_Bridge_Verifier::certified_keys()['keys']).
	 * @param int    $now       This site's time.
	 * @return array
	 * @throws Igny8_Bridge_Verification_Error When any of it does not hold.
	 */
	public static function verify( $body, $signature, $key_id, array $keys, $now ) {
		$raw = '' === (string) $signature ? false : base64_decode( (string) $signature, true );
		if ( false === $raw || SODIUM_CRYPTO_SIGN_BYTES !== strlen( $raw ) ) {
			throw new Igny8_Bridge_Verification_Error( 'The answer is not signed.' );
		}
		$answer    = json_decode( (string) $body, true );
		$signed_at = is_array( $answer ) && isset( $answer['signed_at'] ) ? $answer['signed_at'] : '';
		$public    = Igny8_Bridge_Verifier::key_for( $keys, (string) $key_id, Igny8_Bridge_Verifier::METADATA, is_string( $signed_at ) ? $signed_at : '', 'The answer' );
		if ( ! sodium_crypto_sign_verify_detached( $raw, (string) $body, $public ) ) {
			throw new Igny8_Bridge_Verification_Error( 'The answer\'s signature is invalid: it was changed after the service signed it.' );
		}
		$signed  = Igny8_Bridge_Verifier::time_of( $signed_at );
		$expires = Igny8_Bridge_Verifier::time_of( is_array( $answer ) && isset( $answer['expires'] ) ? $answer['expires'] : '' );
		if ( null === $signed || null === $expires || $expires <= $signed || $expires - $signed > self::MAX_VALIDITY ) {
			throw new Igny8_Bridge_Verification_Error( 'The answer does not say when it was signed and when it expires.' );
		}
		if ( $signed > $now + self::SKEW ) {
			throw new Igny8_Bridge_Verification_Error( sprintf( 'The answer was signed in the future (%s): check this site\'s clock.', $answer['signed_at'] ) );
		}
		if ( $expires < $now - self::SKEW ) {
			throw new Igny8_Bridge_Verification_Error( sprintf( 'The answer expired at %s: an old answer was replayed.', $answer['expires'] ) );
		}
		return $answer;
	}

	/**
	 * Whether a verified check-update answer may replace what the site believes, and what it
	 * believes afterwards.
	 *
	 * - It answers the question asked: this plugin, this installed version.
	 * - It is not older than the newest answer already believed (a replay).
	 * - It offers nothing at or below the installed version, and nothing below a version offered
	 *   by an answer that has not expired yet (a downgrade), unless a newer answer said that offer
	 *   was pulled. The service never offers a lower version on purpose: its rollback re-publishes
	 *   the good code as a new, higher version and pulls the bad one, so an offer below one still
	 *   vouched for can only be another requester's answer (e.g. outside a rollout) passed off
	 *   as this site's.
	 *
	 * @param array  $answer  The verified answer.
	 * @param string $slug    The plugin asked about.
	 * @param string $version The installed version sent.
	 * @param array  $belief  What was believed so far: signed_at, offered, offered_until.
	 * @param int    $now     This site's time.
	 * @return array The belief after this answer.
	 * @throws Igny8_Bridge_Verification_Error When it may not.
	 */
	public static function accept_check( array $answer, $slug, $version, array $belief, $now ) {
		$about = isset( $answer['slug'] ) && is_string( $answer['slug'] ) ? $answer['slug'] : '';
		$asked = isset( $answer['current_version'] ) && is_string( $answer['current_version'] ) ? $answer['current_version'] : '';
		if ( $about !== $slug || trim( (string) $version ) !== $asked ) { // The service only trims it.
			throw new Igny8_Bridge_Verification_Error( sprintf( 'The answer is about %1$s %2$s, not %3$s %4$s.', $about, $asked, $slug, $version ) );
		}
		$signed_at = (string) $answer['signed_at'];
		$last      = isset( $belief['signed_at'] ) ? (string) $belief['signed_at'] : '';
		if ( '' !== $last && Igny8_Bridge_Verifier::time_of( $signed_at ) < Igny8_Bridge_Verifier::time_of( $last ) ) {
			throw new Igny8_Bridge_Verification_Error( sprintf( 'The answer was signed at %1$s, before the one this site already has (%2$s): an old answer was replayed.', $signed_at, $last ) );
		}
		$offered = isset( $belief['offered'] ) ? (string) $belief['offered'] : '';
		$until   = isset( $belief['offered_until'] ) ? (int) $belief['offered_until'] : 0;
		if ( empty( $answer['update_available'] ) ) {
			$pulled = isset( $answer['reason'] ) && 'pulled' === $answer['reason'];
			return self::belief( $signed_at, $pulled ? '' : $offered, $pulled ? 0 : $until );
		}
		$new = isset( $answer['latest_version'] ) && is_string( $answer['latest_version'] ) ? $answer['latest_version'] : '';
		if ( '' === $new || version_compare( $new, $version, '<=' ) ) {
			throw new Igny8_Bridge_Verification_Error( sprintf( 'The answer offers %1$s %2$s, not above the installed %3$s: a downgrade.', $slug, $new, $version ) );
		}
		if ( '' !== $offered && $until > $now && version_compare( $new, $offered, '<' ) ) {
			throw new Igny8_Bridge_Verification_Error( sprintf( 'The answer offers %1$s %2$s, below %3$s the service offered this site before: a downgrade.', $slug, $new, $offered ) );
		}
		$expires = (int) Igny8_Bridge_Verifier::time_of( $answer['expires'] );
		if ( '' !== $offered && $until > $now && version_compare( $new, $offered, '==' ) ) {
			$expires = max( $expires, $until );
		}
		return self::belief( $signed_at, $new, $expires );
	}

	/**
	 * What a site believes about one plugin's offers.
	 *
	 * @param string $signed_at     The newest answer believed.
	 * @param string $offered       The highest version offered by an answer still valid ('' none).
	 * @param int    $offered_until When that answer expires.
	 * @return array
	 */
	private static function belief( $signed_at, $offered, $offered_until ) {
		return array(
			'signed_at'     => $signed_at,
			'offered'       => $offered,
			'offered_until' => $offered_until,
		);
	}
}
