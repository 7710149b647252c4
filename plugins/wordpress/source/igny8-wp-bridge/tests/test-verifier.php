<?php
/**
 * The integrity checks that decide whether a site installs a package.
 *
 * @package Igny8_WP_Bridge
 */

/**
 * A stage's keys as the service makes them: a root, a signing key, a root-signed key list.
 *
 * @param string $issued_at The list's issue time.
 * @param array  $extra     More signing keys to list (key id => [public key, status]).
 * @return array
 */
function igny8_test_stage( $issued_at = '2026-11-01T00:00:00Z', array $extra = array() ) {
	static $root = null, $signing = null;
	$root    = $root ? $root : sodium_crypto_sign_keypair();
	$signing = $signing ? $signing : sodium_crypto_sign_keypair();
	$keys    = array(
		array(
			'key_id'     => 'sign-1',
			'public_key' => base64_encode( sodium_crypto_sign_publickey( $signing ) ),
			'status'     => 'active',
		),
	);
	foreach ( $extra as $id => $key ) {
		$keys[] = array(
			'key_id'     => $id,
			'public_key' => base64_encode( $key[0] ),
			'status'     => $key[1],
		);
	}
	$statement = json_encode(
		array(
			'issued_at' => $issued_at,
			'keys'      => $keys,
			'purpose'   => 'igny8-signing-keys',
		)
	);
	return array(
		'root'      => $root,
		'signing'   => $signing,
		'trust'     => json_encode( array( 'roots' => array( array( 'key_id' => 'root-1', 'public_key' => base64_encode( sodium_crypto_sign_publickey( $root ) ) ) ) ) ),
		'published' => array(
			'keys'               => $keys,
			'key_list'           => $statement,
			'key_list_root_id'   => 'root-1',
			'key_list_signature' => base64_encode( sodium_crypto_sign_detached( $statement, sodium_crypto_sign_secretkey( $root ) ) ),
		),
	);
}

/**
 * A package file and what check-update would announce for it.
 *
 * @param string $secret_key Signing secret key.
 * @param string $key_id     Key id to announce.
 * @return array{0: string, 1: array}
 */
function igny8_test_package( $secret_key, $key_id = 'sign-1' ) {
	$path = tempnam( sys_get_temp_dir(), 'igny8' );
	file_put_contents( $path, "PK\x03\x04 a package " . random_bytes( 64 ) );
	return array(
		$path,
		array(
			'sha256'           => hash_file( 'sha256', $path ),
			'signature'        => base64_encode( sodium_crypto_sign_detached( hash_file( 'sha384', $path, true ), $secret_key ) ),
			'signature_key_id' => $key_id,
		),
	);
}

function test_a_package_signed_by_a_certified_key_verifies() {
	$stage = igny8_test_stage();
	$keys  = Igny8_Bridge_Verifier::certified_keys( $stage['published'], Igny8_Bridge_Verifier::roots_from_trust_file( $stage['trust'] ) );
	list( $path, $announced ) = igny8_test_package( sodium_crypto_sign_secretkey( $stage['signing'] ) );
	Igny8_Bridge_Verifier::verify_package( $path, $announced, $keys['keys'] );
	assert_same( '2026-11-01T00:00:00Z', $keys['issued_at'] );
}

function test_one_changed_byte_is_refused_by_its_sha256() {
	$stage = igny8_test_stage();
	$keys  = Igny8_Bridge_Verifier::certified_keys( $stage['published'], Igny8_Bridge_Verifier::roots_from_trust_file( $stage['trust'] ) );
	list( $path, $announced ) = igny8_test_package( sodium_crypto_sign_secretkey( $stage['signing'] ) );
	file_put_contents( $path, 'x', FILE_APPEND );
	assert_refused(
		function () use ( $path, $announced, $keys ) {
			Igny8_Bridge_Verifier::verify_package( $path, $announced, $keys['keys'] );
		},
		'SHA-256 does not match'
	);
}

function test_a_tampered_package_with_a_matching_announcement_fails_its_signature() {
	$stage = igny8_test_stage();
	$keys  = Igny8_Bridge_Verifier::certified_keys( $stage['published'], Igny8_Bridge_Verifier::roots_from_trust_file( $stage['trust'] ) );
	list( $path, $announced ) = igny8_test_package( sodium_crypto_sign_secretkey( $stage['signing'] ) );
	file_put_contents( $path, 'x', FILE_APPEND );
	$announced['sha256'] = hash_file( 'sha256', $path ); // A server that announces whatever is in S3.
	assert_refused(
		function () use ( $path, $announced, $keys ) {
			Igny8_Bridge_Verifier::verify_package( $path, $announced, $keys['keys'] );
		},
		'signature is invalid'
	);
}

function test_a_signature_by_an_unknown_key_is_refused() {
	$stage    = igny8_test_stage();
	$keys     = Igny8_Bridge_Verifier::certified_keys( $stage['published'], Igny8_Bridge_Verifier::roots_from_trust_file( $stage['trust'] ) );
	$stranger = sodium_crypto_sign_keypair();
	list( $path, $announced ) = igny8_test_package( sodium_crypto_sign_secretkey( $stranger ), 'stranger' );
	assert_refused(
		function () use ( $path, $announced, $keys ) {
			Igny8_Bridge_Verifier::verify_package( $path, $announced, $keys['keys'] );
		},
		'does not trust'
	);
	// Claiming a trusted key's id does not help a stranger's signature either.
	$announced['signature_key_id'] = 'sign-1';
	assert_refused(
		function () use ( $path, $announced, $keys ) {
			Igny8_Bridge_Verifier::verify_package( $path, $announced, $keys['keys'] );
		},
		'signature is invalid'
	);
}

function test_unsigned_and_revoked_are_refused() {
	$stage = igny8_test_stage();
	$keys  = Igny8_Bridge_Verifier::certified_keys( $stage['published'], Igny8_Bridge_Verifier::roots_from_trust_file( $stage['trust'] ) );
	list( $path, $announced ) = igny8_test_package( sodium_crypto_sign_secretkey( $stage['signing'] ) );
	$unsigned = array_merge( $announced, array( 'signature' => '' ) );
	assert_refused(
		function () use ( $path, $unsigned, $keys ) {
			Igny8_Bridge_Verifier::verify_package( $path, $unsigned, $keys['keys'] );
		},
		'not signed'
	);
	$revoked                               = $keys['keys'];
	$revoked['sign-1']['status']           = 'revoked';
	assert_refused(
		function () use ( $path, $announced, $revoked ) {
			Igny8_Bridge_Verifier::verify_package( $path, $announced, $revoked );
		},
		'revoked'
	);
}

function test_a_key_list_not_signed_by_a_pinned_root_is_refused() {
	$stage              = igny8_test_stage();
	$roots              = Igny8_Bridge_Verifier::roots_from_trust_file( $stage['trust'] );
	$forged             = $stage['published'];
	$attacker           = sodium_crypto_sign_keypair();
	$forged['key_list'] = str_replace( 'sign-1', 'evil-1', $forged['key_list'] );
	assert_refused(
		function () use ( $forged, $roots ) {
			Igny8_Bridge_Verifier::certified_keys( $forged, $roots );
		},
		'invalid root signature'
	);
	$forged['key_list_signature'] = base64_encode( sodium_crypto_sign_detached( $forged['key_list'], sodium_crypto_sign_secretkey( $attacker ) ) );
	assert_refused(
		function () use ( $forged, $roots ) {
			Igny8_Bridge_Verifier::certified_keys( $forged, $roots );
		},
		'invalid root signature'
	);
	$forged['key_list_root_id'] = 'attacker-root';
	assert_refused(
		function () use ( $forged, $roots ) {
			Igny8_Bridge_Verifier::certified_keys( $forged, $roots );
		},
		'not signed by a root this site trusts'
	);
}

function test_an_older_key_list_is_refused_as_a_replay() {
	$stage = igny8_test_stage( '2026-10-01T00:00:00Z' );
	$roots = Igny8_Bridge_Verifier::roots_from_trust_file( $stage['trust'] );
	assert_refused(
		function () use ( $stage, $roots ) {
			Igny8_Bridge_Verifier::certified_keys( $stage['published'], $roots, '2026-11-01T00:00:00Z' );
		},
		'older key list'
	);
}

function test_a_rotated_key_verifies_through_the_pinned_root() {
	$next  = sodium_crypto_sign_keypair();
	$stage = igny8_test_stage( '2026-12-01T00:00:00Z', array( 'sign-2' => array( sodium_crypto_sign_publickey( $next ), 'active' ) ) );
	$keys  = Igny8_Bridge_Verifier::certified_keys( $stage['published'], Igny8_Bridge_Verifier::roots_from_trust_file( $stage['trust'] ), '2026-11-01T00:00:00Z' );
	list( $path, $announced ) = igny8_test_package( sodium_crypto_sign_secretkey( $next ), 'sign-2' );
	Igny8_Bridge_Verifier::verify_package( $path, $announced, $keys['keys'] );
	assert_same( array( 'sign-1', 'sign-2' ), array_keys( $keys['keys'] ) );
}

function test_an_empty_or_broken_trust_file_trusts_nothing() {
	foreach ( array( '{"roots": []}', '', 'garbage', '{"roots": [{"key_id": "r", "public_key": "c2hvcnQ="}]}' ) as $contents ) {
		assert_refused(
			function () use ( $contents ) {
				Igny8_Bridge_Verifier::roots_from_trust_file( $contents );
			},
			'pins no signing root'
		);
	}
}
