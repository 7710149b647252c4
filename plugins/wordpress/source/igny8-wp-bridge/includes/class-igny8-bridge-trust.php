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
	 * Told of each refused update answer (slug, message): the reporter's health error.
	 *
	 * @var callable
	 */
	private $rejected;

	/**
	 * Constructor.
	 *
	 * @param Igny8_Bridge_Client $client   HTTP client.
	 * @param callable            $rejected Called with (slug, message) for each refused answer.
	 */
	public function __construct( Igny8_Bridge_Client $client, callable $rejected ) {
		$this->client   = $client;
		$this->rejected = $rejected;
	}

	/**
	 * A check-update (with $version) or info answer as received, once the site may believe it:
	 * signed by a certified metadata key over the bytes received, not expired, about this plugin,
	 * and for check-update neither older than the last one believed nor a downgrade
	 * (Igny8_Bridge_Answers). A refusal is reported, at most once per check (WordPress' own
	 * throttle of update checks bounds them), and changes nothing.
	 *
	 * @param string      $slug     Plugin slug.
	 * @param array       $received Igny8_Bridge_Response::received().
	 * @param string|null $version  The installed version a check-update asked about.
	 * @return array|WP_Error
	 */
	public function believe( $slug, array $received, $version ) {
		$beliefs = (array) Igny8_Bridge_Options::get( 'igny8_bridge_beliefs', array() );
		try {
			$answer = Igny8_Bridge_Answers::verify( $received['raw'], $received['signature'], $received['key_id'], $this->keys( $received['key_id'] ), time() );
			if ( null === $version ) {
				if ( ! isset( $answer['slug'] ) || $answer['slug'] !== $slug ) {
					throw new Igny8_Bridge_Verification_Error( 'The answer is about another plugin.' );
				}
				return $answer;
			}
			$belief           = isset( $beliefs[ $slug ] ) && is_array( $beliefs[ $slug ] ) ? $beliefs[ $slug ] : array();
			$beliefs[ $slug ] = Igny8_Bridge_Answers::accept_check( $answer, $slug, $version, $belief, time() );
		} catch ( Igny8_Bridge_Verification_Error $error ) {
			/* translators: 1: plugin slug, 2: why */
			$message = sprintf( __( 'IGNY8 Bridge refused the service\'s update answer for %1$s: %2$s Nothing was installed from it; the last verified answer stands.', 'igny8-wp-bridge' ), $slug, $error->getMessage() );
			call_user_func( $this->rejected, $slug, $message );
			return new WP_Error( 'igny8_bridge_answer_refused', $message );
		}
		Igny8_Bridge_Options::set( 'igny8_bridge_beliefs', $beliefs );
		return $answer;
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
		// An unsigned answer names no key: the cached list serves to refuse it, without asking.
		$usable = $same && isset( $cached['keys'] ) && ( '' === $key_id || isset( $cached['keys'][ $key_id ] ) );
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
