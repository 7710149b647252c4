<?php
/**
 * Runs the bridge's unit tests with `php` alone: `php tests/run-tests.php`.
 *
 * The classes under test are the bridge's pure logic (no WordPress function is called there), so
 * a test file is plain functions named test_*; the last line printed is "N passed, N failed".
 *
 * @package Igny8_WP_Bridge
 */

define( 'IGNY8_BRIDGE_TESTING', true );
$igny8_root = dirname( __DIR__ );
require_once $igny8_root . '/includes/class-igny8-bridge-verifier.php';
require_once $igny8_root . '/includes/class-igny8-bridge-answers.php';
require_once $igny8_root . '/includes/class-igny8-bridge-backoff.php';
require_once $igny8_root . '/includes/class-igny8-bridge-offer.php';

/**
 * Fails the current test unless $actual === $expected.
 *
 * @param mixed  $expected Expected value.
 * @param mixed  $actual   Actual value.
 * @param string $what     What is compared.
 * @throws RuntimeException On mismatch.
 */
function assert_same( $expected, $actual, $what = '' ) {
	if ( $expected !== $actual ) {
		throw new RuntimeException( sprintf( "%s\n  expected: %s\n  actual:   %s", $what, var_export( $expected, true ), var_export( $actual, true ) ) );
	}
}

/**
 * Fails unless $call throws a verification error whose message contains $needle.
 *
 * @param callable $call   Code under test.
 * @param string   $needle Expected part of the message.
 * @throws RuntimeException When it does not.
 */
function assert_refused( callable $call, $needle ) {
	try {
		$call();
	} catch ( Igny8_Bridge_Verification_Error $error ) {
		if ( false === strpos( $error->getMessage(), $needle ) ) {
			throw new RuntimeException( "refused for another reason: {$error->getMessage()} (wanted: $needle)" );
		}
		return;
	}
	throw new RuntimeException( "accepted, but should be refused: $needle" );
}

foreach ( glob( __DIR__ . '/test-*.php' ) as $igny8_file ) {
	require_once $igny8_file;
}
$igny8_passed = 0;
$igny8_failed = 0;
foreach ( get_defined_functions()['user'] as $igny8_function ) {
	if ( 0 !== strpos( $igny8_function, 'test_' ) ) {
		continue;
	}
	try {
		$igny8_function();
		++$igny8_passed;
	} catch ( Throwable $igny8_error ) {
		++$igny8_failed;
		fwrite( STDERR, "FAIL $igny8_function: {$igny8_error->getMessage()}\n" );
	}
}
echo "$igny8_passed passed, $igny8_failed failed\n";
exit( $igny8_failed > 0 || 0 === $igny8_passed ? 1 : 0 );
