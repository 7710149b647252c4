<?php
/**
 * Signed, expiring update answers, and keys bound to their role and retirement.
 *
 * @package Igny8_WP_Bridge
 */

/** This site's time in these tests: 2026-11-29 12:00:00 UTC. */
const IGNY8_TEST_NOW = 1795953600;

/**
 * A stage with a package key, a metadata key (active) and an old metadata key retired at noon
 * on 2026-11-28, as the service's root-signed list certifies them.
 *
 * @return array{keys: array, package: string, metadata: string, old_metadata: string}
 */
function igny8_test_roles() {
	static $stage = null;
	if ( null !== $stage ) {
		return $stage;
	}
	$root  = sodium_crypto_sign_keypair();
	$pairs = array(
		'pkg-1'  => sodium_crypto_sign_keypair(),
		'meta-1' => sodium_crypto_sign_keypair(),
		'meta-2' => sodium_crypto_sign_keypair(),
	);
	$entry = static function ( $id, $role, $status, $retired_at ) use ( $pairs ) {
		return array(
			'key_id'     => $id,
			'algorithm'  => 'ed25519',
			'role'       => $role,
			'public_key' => base64_encode( sodium_crypto_sign_publickey( $pairs[ $id ] ) ),
			'status'     => $status,
			'retired_at' => $retired_at,
		);
	};
	$statement = json_encode(
		array(
			'issued_at'     => '2026-11-28T12:00:00Z',
			'keys'          => array( $entry( 'pkg-1', 'package', 'active', null ) ),
			'metadata_keys' => array(
				$entry( 'meta-1', 'metadata', 'retired', '2026-11-28T12:00:00Z' ),
				$entry( 'meta-2', 'metadata', 'active', null ),
			),
			'purpose'       => 'igny8-signing-keys',
		)
	);
	$published = array(
		'key_list'           => $statement,
		'key_list_root_id'   => 'root-1',
		'key_list_signature' => base64_encode( sodium_crypto_sign_detached( $statement, sodium_crypto_sign_secretkey( $root ) ) ),
	);
	$roots     = array( 'root-1' => sodium_crypto_sign_publickey( $root ) );
	$stage     = array(
		'keys'         => Igny8_Bridge_Verifier::certified_keys( $published, $roots )['keys'],
		'package'      => sodium_crypto_sign_secretkey( $pairs['pkg-1'] ),
		'metadata'     => sodium_crypto_sign_secretkey( $pairs['meta-2'] ),
		'old_metadata' => sodium_crypto_sign_secretkey( $pairs['meta-1'] ),
	);
	return $stage;
}

/**
 * A check-update answer as the service sends it: the exact bytes, and their signature headers.
 *
 * @param array  $fields     Fields over the defaults.
 * @param string $secret_key The key that signs.
 * @param string $key_id     The key id sent.
 * @return array{raw: string, signature: string, key_id: string}
 */
function igny8_test_signed( array $fields = array(), $secret_key = null, $key_id = 'meta-2' ) {
	$answer = array_merge(
		array(
			'signed_at'        => '2026-11-29T11:50:00Z',
			'expires'          => '2026-11-30T11:50:00Z',
			'slug'             => 'demo',
			'current_version'  => '1.0.0',
			'update_available' => true,
			'latest_version'   => '1.2.0',
			'reason'           => null,
		),
		$fields
	);
	$raw = json_encode( $answer );
	return array(
		'raw'       => $raw,
		'signature' => base64_encode( sodium_crypto_sign_detached( $raw, null === $secret_key ? igny8_test_roles()['metadata'] : $secret_key ) ),
		'key_id'    => $key_id,
	);
}

/**
 * Verifies a signed answer at IGNY8_TEST_NOW (+ $later seconds).
 *
 * @param array $signed What igny8_test_signed() made.
 * @param int   $later  Seconds after IGNY8_TEST_NOW.
 * @return array
 */
function igny8_test_verify( array $signed, $later = 0 ) {
	return Igny8_Bridge_Answers::verify( $signed['raw'], $signed['signature'], $signed['key_id'], igny8_test_roles()['keys'], IGNY8_TEST_NOW + $later );
}

function test_an_answer_signed_by_the_certified_metadata_key_is_believed() {
	$answer = igny8_test_verify( igny8_test_signed() );
	assert_same( '1.2.0', $answer['latest_version'] );
}

function test_a_changed_byte_a_stripped_signature_or_an_unknown_key_is_refused() {
	$signed        = igny8_test_signed();
	$changed       = $signed;
	$changed['raw'] = str_replace( '1.2.0', '1.3.0', $signed['raw'] );
	assert_refused( function () use ( $changed ) { igny8_test_verify( $changed ); }, 'signature is invalid' );
	$stripped = array_merge( $signed, array( 'signature' => '', 'key_id' => '' ) );
	assert_refused( function () use ( $stripped ) { igny8_test_verify( $stripped ); }, 'not signed' );
	$stranger = igny8_test_signed( array(), sodium_crypto_sign_secretkey( sodium_crypto_sign_keypair() ), 'stranger' );
	assert_refused( function () use ( $stranger ) { igny8_test_verify( $stranger ); }, 'does not trust' );
}

function test_a_package_key_may_not_sign_an_answer_nor_a_metadata_key_a_package() {
	$by_package = igny8_test_signed( array(), igny8_test_roles()['package'], 'pkg-1' );
	assert_refused( function () use ( $by_package ) { igny8_test_verify( $by_package ); }, 'may not sign update answers' );

	$path = tempnam( sys_get_temp_dir(), 'igny8' );
	file_put_contents( $path, 'PK a package' );
	$announced = array(
		'sha256'           => hash_file( 'sha256', $path ),
		'signature'        => base64_encode( sodium_crypto_sign_detached( hash_file( 'sha384', $path, true ), igny8_test_roles()['metadata'] ) ),
		'signature_key_id' => 'meta-2',
		'released_at'      => '2026-11-29T10:00:00Z',
	);
	assert_refused(
		function () use ( $path, $announced ) {
			Igny8_Bridge_Verifier::verify_package( $path, $announced, igny8_test_roles()['keys'] );
		},
		'may not sign packages'
	);
}

function test_an_expired_or_future_or_undated_answer_is_refused() {
	$expired = igny8_test_signed( array( 'signed_at' => '2026-11-26T12:00:00Z', 'expires' => '2026-11-27T12:00:00Z' ) );
	assert_refused( function () use ( $expired ) { igny8_test_verify( $expired ); }, 'expired at 2026-11-27T12:00:00Z' );
	// One hour of clock skew is allowed either way, not more.
	igny8_test_verify( igny8_test_signed(), 86400 );
	assert_refused( function () { igny8_test_verify( igny8_test_signed(), 86400 + 600 + 3601 ); }, 'expired' );
	$future = igny8_test_signed( array( 'signed_at' => '2026-11-29T14:00:00Z', 'expires' => '2026-11-30T14:00:00Z' ) );
	assert_refused( function () use ( $future ) { igny8_test_verify( $future ); }, 'in the future' );
	$undated = igny8_test_signed( array( 'expires' => null ) );
	assert_refused( function () use ( $undated ) { igny8_test_verify( $undated ); }, 'does not say when' );
	$for_ever = igny8_test_signed( array( 'expires' => '2036-11-29T11:50:00Z' ) );
	assert_refused( function () use ( $for_ever ) { igny8_test_verify( $for_ever ); }, 'does not say when' );
}

function test_a_retired_metadata_key_vouches_only_for_answers_signed_before_it_retired() {
	$old = igny8_test_roles()['old_metadata'];
	$before = igny8_test_signed( array( 'signed_at' => '2026-11-28T11:50:00Z', 'expires' => '2026-11-29T11:50:00Z' ), $old, 'meta-1' );
	igny8_test_verify( $before, -3000 );
	// A thief of the retired key signs a fresh answer: refused, whatever it says.
	$after = igny8_test_signed( array(), $old, 'meta-1' );
	assert_refused( function () use ( $after ) { igny8_test_verify( $after ); }, 'retired before it was signed' );
}

function test_a_retired_package_key_verifies_only_releases_before_its_retirement() {
	$pair = sodium_crypto_sign_keypair();
	$keys = array(
		'pkg-0' => array(
			'public_key' => sodium_crypto_sign_publickey( $pair ),
			'status'     => 'retired',
			'role'       => 'package',
			'retired_at' => '2026-11-01T00:00:00Z',
		),
	);
	$path = tempnam( sys_get_temp_dir(), 'igny8' );
	file_put_contents( $path, 'PK an old package' );
	$announced = array(
		'sha256'           => hash_file( 'sha256', $path ),
		'signature'        => base64_encode( sodium_crypto_sign_detached( hash_file( 'sha384', $path, true ), sodium_crypto_sign_secretkey( $pair ) ) ),
		'signature_key_id' => 'pkg-0',
		'released_at'      => '2026-10-15T09:00:00Z',
	);
	Igny8_Bridge_Verifier::verify_package( $path, $announced, $keys );
	foreach ( array( '2026-11-02T00:00:00Z', '', 'yesterday' ) as $released ) {
		$late = array_merge( $announced, array( 'released_at' => $released ) );
		assert_refused(
			function () use ( $path, $late, $keys ) {
				Igny8_Bridge_Verifier::verify_package( $path, $late, $keys );
			},
			'retired before it was signed'
		);
	}
}

function test_a_key_listed_under_the_other_role_is_trusted_for_nothing() {
	$keys = igny8_test_roles()['keys'];
	assert_same( array( 'pkg-1', 'meta-1', 'meta-2' ), array_keys( $keys ) );
	assert_same( array( 'package', 'metadata', 'metadata' ), array_column( $keys, 'role' ) );
	assert_same( '2026-11-28T12:00:00Z', $keys['meta-1']['retired_at'] );
}

/**
 * A check-update answer through accept_check at IGNY8_TEST_NOW.
 *
 * @param array $fields Answer fields over igny8_test_signed()'s.
 * @param array $belief What the site believed.
 * @return array The new belief.
 */
function igny8_test_accept( array $fields, array $belief = array() ) {
	$answer = json_decode( igny8_test_signed( $fields )['raw'], true );
	return Igny8_Bridge_Answers::accept_check( $answer, 'demo', '1.0.0', $belief, IGNY8_TEST_NOW );
}

function test_an_answer_to_another_question_is_refused() {
	assert_refused( function () { igny8_test_accept( array( 'slug' => 'other' ) ); }, 'not demo 1.0.0' );
	assert_refused( function () { igny8_test_accept( array( 'current_version' => '0.9.0' ) ); }, 'not demo 1.0.0' );
	assert_refused( function () { igny8_test_accept( array( 'current_version' => '1.0' ) ); }, 'not demo 1.0.0' );
	assert_same( '1.2.0', igny8_test_accept( array() )['offered'] );
}

function test_an_answer_older_than_the_one_believed_is_a_replay() {
	$belief = igny8_test_accept( array() );
	assert_refused(
		function () use ( $belief ) {
			igny8_test_accept( array( 'signed_at' => '2026-11-29T11:40:00Z' ), $belief );
		},
		'an old answer was replayed'
	);
	igny8_test_accept( array(), $belief ); // The same epoch again (a cache, a retry): believed.
}

function test_a_downgrade_is_refused_while_the_higher_offer_is_vouched_for() {
	assert_refused( function () { igny8_test_accept( array( 'latest_version' => '1.0.0' ) ); }, 'not above the installed 1.0.0' );
	assert_refused( function () { igny8_test_accept( array( 'latest_version' => '0.9.0' ) ); }, 'a downgrade' );
	$belief = igny8_test_accept( array() ); // 1.2.0 offered until 2026-11-30T11:50:00Z.
	assert_same( 1796039400, $belief['offered_until'] );
	$later = array( 'signed_at' => '2026-11-29T12:00:00Z', 'expires' => '2026-11-30T12:00:00Z', 'latest_version' => '1.1.0' );
	assert_refused(
		function () use ( $later, $belief ) {
			igny8_test_accept( $later, $belief );
		},
		'below 1.2.0 the service offered this site before'
	);
	// Once nothing vouches for 1.2.0 any more (its answer expired), a lower offer is believed.
	$lapsed = array_merge( $belief, array( 'offered_until' => IGNY8_TEST_NOW - 1 ) );
	assert_same( '1.1.0', igny8_test_accept( $later, $lapsed )['offered'] );
	// A no-update answer leaves the floor; one saying the offer was pulled clears it at once.
	$quiet = igny8_test_accept( array( 'update_available' => false, 'reason' => 'up_to_date', 'latest_version' => '1.0.0' ), $belief );
	assert_same( '1.2.0', $quiet['offered'] );
	$pulled = igny8_test_accept( array( 'update_available' => false, 'reason' => 'pulled', 'latest_version' => '1.0.0' ), $belief );
	assert_same( '', $pulled['offered'] );
	assert_same( '1.1.0', igny8_test_accept( $later, $pulled )['offered'] );
	// A higher offer raises the floor.
	assert_same( '1.3.0', igny8_test_accept( array_merge( $later, array( 'latest_version' => '1.3.0' ) ), $belief )['offered'] );
}
