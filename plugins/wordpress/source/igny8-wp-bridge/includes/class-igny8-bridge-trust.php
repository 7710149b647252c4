<?php
/**
 * The keys this site trusts, and the answers it believes: WordPress glue around the pure checks
 * of Igny8_Bridge_Verifier (packages, key lists) and Igny8_Bridge_Answers (update answers).
 *
 * @package Igny8_WP_Bridge
 */

defined( 'ABSPATH' ) || exit;

/**
 * Certified keys, kept in an option and refreshed from GET /keys/, and verified answers.
 */
final class Igny8_Bridge_Trust {

	/**
	 * HTTP client (GET /keys/).
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
	 * An answer's JSON once its signature by a certified metadata key and its expiry hold.
	 *
	 * @param array $signed raw body, signature and key_id as received.
	 * @return array
	 * @throws Igny8_Bridge_Verification_Error When it does not hold.
	 */
	public function answer( array $signed ) {
		return Igny8_Bridge_Answers::verify( $signed['raw'], $signed['signature'], $signed['key_id'], $this->keys( $signed['key_id'] ), time() );
	}

	/**
	 * Keys certified by the pinned root; refreshed from GET /keys/ when the key named is not
	 * known yet (a rotation) or the list is a day old (a revocation), the cached list standing in
	 * when the service cannot answer.
	 *
	 * @param string $key_id The key something is signed with.
	 * @return array Certified keys (key id => public_key, status, role, retired_at).
	 * @throws Igny8_Bridge_Verification_Error When the pinned root or the key list is unusable.
	 */
	public function keys( $key_id ) {
		$roots  = Igny8_Bridge_Verifier::roots_from_trust_file( (string) file_get_contents( IGNY8_BRIDGE_DIR . 'igny8-trust.json' ) );
		$cached = (array) Igny8_Bridge_Options::get( 'igny8_bridge_keys', array() );
		$same   = isset( $cached['roots'] ) && array_keys( $roots ) === $cached['roots'];
		$usable = $same && isset( $cached['keys'][ $key_id ] );
		$stale  = ! isset( $cached['at'] ) || time() - (int) $cached['at'] > DAY_IN_SECONDS;
		$fresh  = $usable && $stale ? $this->client->keys() : null;
		if ( $usable && ( ! $stale || is_wp_error( $fresh ) ) ) {
			return array_map( array( __CLASS__, 'decoded' ), $cached['keys'] );
		}
		$published = null !== $fresh ? $fresh : $this->client->keys();
		if ( is_wp_error( $published ) ) {
			throw new Igny8_Bridge_Verification_Error( $published->get_error_message() );
		}
		$not_before = $same && isset( $cached['issued_at'] ) ? (string) $cached['issued_at'] : '';
		$certified  = Igny8_Bridge_Verifier::certified_keys( $published, $roots, $not_before );
		Igny8_Bridge_Options::set(
			'igny8_bridge_keys',
			array(
				'roots'     => array_keys( $roots ),
				'issued_at' => $certified['issued_at'],
				'at'        => time(),
				'keys'      => array_map(
					static function ( $key ) {
						return array_merge( $key, array( 'public_key' => base64_encode( $key['public_key'] ) ) );
					},
					$certified['keys']
				),
			)
		);
		return $certified['keys'];
	}

	/**
	 * A stored key with its raw public key (a key stored by an older bridge is a package key).
	 *
	 * @param array $key As stored.
	 * @return array
	 */
	private static function decoded( array $key ) {
		return array_merge(
			array(
				'role'       => Igny8_Bridge_Verifier::PACKAGE,
				'retired_at' => '',
			),
			$key,
			array( 'public_key' => base64_decode( $key['public_key'] ) )
		);
	}
}
