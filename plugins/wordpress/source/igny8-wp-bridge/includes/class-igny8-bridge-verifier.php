<?php
/**
 * Package integrity: SHA-256 against the announcement, Ed25519 against keys the root certified.
 *
 * Pure PHP (ext-sodium, or WordPress' sodium_compat): no WordPress function is called here, so the
 * checks that decide whether a site installs a package are unit-tested with `php` alone.
 *
 * @package Igny8_WP_Bridge
 */

defined( 'ABSPATH' ) || defined( 'IGNY8_BRIDGE_TESTING' ) || exit;

/**
 * Why a package or a key list was refused; the message is shown to the admin and reported.
 */
class Igny8_Bridge_Verification_Error extends Exception {
}

/**
 * Decides whether a downloaded package is exactly what the service signed.
 *
 * Trust flows one way: the root public keys pinned in the bridge's own igny8-trust.json certify
 * the keys (a key list signed by a root), and only a certified, non-revoked package key may vouch
 * for a package (a retired one only for releases before its retirement). A key fetched alongside
 * a package is never trusted on its own.
 */
final class Igny8_Bridge_Verifier {

	const KEY_LIST_PURPOSE = 'igny8-signing-keys';
	/** The role of keys that sign packages. */
	const PACKAGE = 'package';
	/** The role of keys that sign check-update and info answers. */
	const METADATA = 'metadata';

	/**
	 * The pinned roots from the contents of igny8-trust.json.
	 *
	 * @param string $json The file's contents.
	 * @return array<string, string> Root key id => raw 32-byte public key.
	 * @throws Igny8_Bridge_Verification_Error When the file holds no usable root.
	 */
	public static function roots_from_trust_file( $json ) {
		$data  = json_decode( (string) $json, true );
		$roots = array();
		foreach ( ( is_array( $data ) && isset( $data['roots'] ) && is_array( $data['roots'] ) ) ? $data['roots'] : array() as $root ) {
			$key = self::raw_key( $root );
			if ( null !== $key ) {
				$roots[ (string) $root['key_id'] ] = $key;
			}
		}
		if ( ! $roots ) {
			throw new Igny8_Bridge_Verification_Error( 'This copy of the IGNY8 Bridge pins no signing root (igny8-trust.json is empty): install the bridge as downloaded from the IGNY8 plugin service.' );
		}
		return $roots;
	}

	/**
	 * The keys a published key list certifies, checked against the pinned roots: package keys
	 * (`keys`) and metadata keys (`metadata_keys`, which sign update answers), each usable only
	 * for its own role.
	 *
	 * @param array                $published    GET /keys/ as decoded JSON.
	 * @param array<string,string> $roots        Pinned roots (key id => raw public key).
	 * @param string               $not_before   The issued_at of the newest list accepted so far:
	 *                                           an older list (a replay) is refused.
	 * @return array{issued_at: string, keys: array<string, array{public_key: string, status: string, role: string, retired_at: string}>}
	 * @throws Igny8_Bridge_Verification_Error When the list is not signed by a pinned root.
	 */
	public static function certified_keys( array $published, array $roots, $not_before = '' ) {
		$statement = isset( $published['key_list'] ) && is_string( $published['key_list'] ) ? $published['key_list'] : '';
		$root_id   = isset( $published['key_list_root_id'] ) && is_string( $published['key_list_root_id'] ) ? $published['key_list_root_id'] : '';
		$signature = isset( $published['key_list_signature'] ) && is_string( $published['key_list_signature'] ) ? base64_decode( $published['key_list_signature'], true ) : false;
		if ( '' === $statement || ! isset( $roots[ $root_id ] ) ) {
			throw new Igny8_Bridge_Verification_Error( 'The service\'s key list is not signed by a root this site trusts.' );
		}
		if ( false === $signature || SODIUM_CRYPTO_SIGN_BYTES !== strlen( $signature )
			|| ! sodium_crypto_sign_verify_detached( $signature, $statement, $roots[ $root_id ] ) ) {
			throw new Igny8_Bridge_Verification_Error( 'The service\'s key list has an invalid root signature.' );
		}
		$list = json_decode( $statement, true );
		if ( ! is_array( $list ) || self::KEY_LIST_PURPOSE !== ( isset( $list['purpose'] ) ? $list['purpose'] : '' )
			|| ! isset( $list['keys'] ) || ! is_array( $list['keys'] ) ) {
			throw new Igny8_Bridge_Verification_Error( 'The service\'s key list is malformed.' );
		}
		$issued = isset( $list['issued_at'] ) ? (string) $list['issued_at'] : '';
		if ( '' !== $not_before && strcmp( $issued, $not_before ) < 0 ) {
			throw new Igny8_Bridge_Verification_Error( 'The service sent an older key list than this site already has.' );
		}
		$keys = array();
		// A list from before roles existed holds package keys only.
		$groups = array(
			self::PACKAGE  => $list['keys'],
			self::METADATA => isset( $list['metadata_keys'] ) && is_array( $list['metadata_keys'] ) ? $list['metadata_keys'] : array(),
		);
		foreach ( $groups as $role => $entries ) {
			foreach ( $entries as $key ) {
				$raw = self::raw_key( $key );
				if ( null === $raw || ( isset( $key['role'] ) ? (string) $key['role'] : self::PACKAGE ) !== $role ) {
					continue; // A key listed under the other role's name is trusted for nothing.
				}
				$keys[ (string) $key['key_id'] ] = array(
					'public_key' => $raw,
					'status'     => isset( $key['status'] ) ? (string) $key['status'] : 'active',
					'role'       => $role,
					'retired_at' => isset( $key['retired_at'] ) && is_string( $key['retired_at'] ) ? $key['retired_at'] : '',
				);
			}
		}
		return array(
			'issued_at' => $issued,
			'keys'      => $keys,
		);
	}

	/**
	 * The certified key that may vouch for something of $role signed at $signed_at.
	 *
	 * A retired key vouches only for what it signed before it retired (a thief of an old key
	 * cannot sign anything new); a revoked key for nothing; a key of the other role for nothing.
	 *
	 * @param array  $keys      Certified keys (key id => public_key, status, role, retired_at).
	 * @param string $key_id    The key named.
	 * @param string $role      self::PACKAGE or self::METADATA.
	 * @param string $signed_at When the signed thing says it was made (ISO 8601), or ''.
	 * @param string $what      What is verified, for the message.
	 * @return string The raw public key.
	 * @throws Igny8_Bridge_Verification_Error When the key may not vouch for it.
	 */
	public static function key_for( array $keys, $key_id, $role, $signed_at, $what ) {
		if ( ! isset( $keys[ $key_id ] ) ) {
			throw new Igny8_Bridge_Verification_Error( sprintf( '%1$s is signed by key %2$s, which this site does not trust.', $what, $key_id ) );
		}
		$key = $keys[ $key_id ];
		if ( ( isset( $key['role'] ) ? $key['role'] : self::PACKAGE ) !== $role ) {
			throw new Igny8_Bridge_Verification_Error( sprintf( '%1$s is signed by key %2$s, which may not sign %3$s.', $what, $key_id, self::PACKAGE === $role ? 'packages' : 'update answers' ) );
		}
		if ( 'revoked' === $key['status'] ) {
			throw new Igny8_Bridge_Verification_Error( sprintf( '%1$s is signed by key %2$s, which was revoked.', $what, $key_id ) );
		}
		if ( 'retired' === $key['status'] ) {
			$retired = self::time_of( isset( $key['retired_at'] ) ? $key['retired_at'] : '' );
			$signed  = self::time_of( $signed_at );
			if ( null === $retired || null === $signed || $signed >= $retired ) {
				throw new Igny8_Bridge_Verification_Error( sprintf( '%1$s is signed by key %2$s, retired before it was signed.', $what, $key_id ) );
			}
		}
		return $key['public_key'];
	}

	/**
	 * A UTC timestamp (2026-11-29T10:00:00Z) as seconds, or null.
	 *
	 * @param mixed $text The timestamp.
	 * @return int|null
	 */
	public static function time_of( $text ) {
		if ( ! is_string( $text ) || ! preg_match( '/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]00:00)$/', $text ) ) {
			return null;
		}
		$time = strtotime( $text );
		return false === $time ? null : $time;
	}

	/**
	 * Refuses the file unless its SHA-256 is the announced one and a certified key signed it.
	 *
	 * The signature is WordPress core's format: Ed25519 over the raw SHA-384 digest of the file.
	 *
	 * @param string $path      The downloaded package.
	 * @param array  $announced What a verified check-update said: sha256, signature,
	 *                          signature_key_id, released_at (a retired key vouches only for
	 *                          releases before its retirement: the metadata key binds the date).
	 * @param array  $keys      Certified keys (key id => public_key, status).
	 * @throws Igny8_Bridge_Verification_Error On any mismatch.
	 */
	public static function verify_package( $path, array $announced, array $keys ) {
		$expected = isset( $announced['sha256'] ) ? strtolower( (string) $announced['sha256'] ) : '';
		if ( ! preg_match( '/^[0-9a-f]{64}$/', $expected ) ) {
			throw new Igny8_Bridge_Verification_Error( 'The service announced no SHA-256 for this package.' );
		}
		$actual = hash_file( 'sha256', $path );
		if ( false === $actual || ! hash_equals( $expected, $actual ) ) {
			throw new Igny8_Bridge_Verification_Error( 'The package\'s SHA-256 does not match what the service announced: it was changed after release or in transit.' );
		}
		$key_id    = isset( $announced['signature_key_id'] ) ? (string) $announced['signature_key_id'] : '';
		$signature = isset( $announced['signature'] ) ? base64_decode( (string) $announced['signature'], true ) : false;
		if ( false === $signature || SODIUM_CRYPTO_SIGN_BYTES !== strlen( $signature ) ) {
			throw new Igny8_Bridge_Verification_Error( 'The package is not signed.' );
		}
		$released = isset( $announced['released_at'] ) ? (string) $announced['released_at'] : '';
		$public   = self::key_for( $keys, $key_id, self::PACKAGE, $released, 'The package' );
		$digest   = hash_file( 'sha384', $path, true );
		if ( false === $digest || ! sodium_crypto_sign_verify_detached( $signature, $digest, $public ) ) {
			throw new Igny8_Bridge_Verification_Error( 'The package\'s signature is invalid.' );
		}
	}

	/**
	 * A published key's raw bytes, or null when it is not a well-formed Ed25519 public key.
	 *
	 * @param mixed $key An entry with key_id and base64 public_key.
	 * @return string|null
	 */
	private static function raw_key( $key ) {
		if ( ! is_array( $key ) || empty( $key['key_id'] ) || ! is_string( $key['key_id'] ) || ! isset( $key['public_key'] ) ) {
			return null;
		}
		$raw = base64_decode( (string) $key['public_key'], true );
		return ( false !== $raw && SODIUM_CRYPTO_SIGN_PUBLICKEYBYTES === strlen( $raw ) ) ? $raw : null;
	}
}
