<?php
/**
 * Reading the service's answers defensively, and back-off.
 *
 * @package Igny8_WP_Bridge
 */

/**
 * A check-update answer as the service sends it.
 *
 * @return array
 */
function igny8_test_answer() {
	return array(
		'update_available' => true,
		'latest_version'   => '1.1.0',
		'sha256'           => str_repeat( 'a', 64 ),
		'signature'        => 'c2ln',
		'signature_key_id' => 'k1',
		'download_url'     => 'https://api.example/api/plugins/demo/download/?version=1.1.0',
		'update'           => array(
			'slug'           => 'demo',
			'plugin'         => 'demo/demo.php',
			'new_version'    => '1.1.0',
			'package'        => 'https://api.example/api/plugins/demo/download/?version=1.1.0',
			'url'            => 'https://example.com',
			'tested'         => '6.6',
			'requires'       => '5.8',
			'requires_php'   => '7.4',
			'icons'          => array( '1x' => 'https://example.com/i.png' ),
			'banners'        => array(),
			'upgrade_notice' => 'Security fix.',
			'autoupdate'     => true,
			'extra'          => 'kept',
		),
	);
}

function test_the_update_item_is_passed_through_whole_with_this_sites_plugin_file() {
	$item = Igny8_Bridge_Offer::update_item( igny8_test_answer(), 'demo-renamed/demo.php', 'demo' );
	assert_same( 'demo-renamed/demo.php', $item['plugin'] );
	assert_same( true, $item['autoupdate'], 'a forced release keeps autoupdate' );
	assert_same( array( '1x' => 'https://example.com/i.png' ), $item['icons'] );
	assert_same( 'Security fix.', $item['upgrade_notice'] );
	assert_same( 'kept', $item['extra'], 'unknown fields survive' );
	assert_same( '6.6', $item['tested'] );
}

function test_garbage_answers_give_no_item() {
	$cases = array( null, 'text', array(), array( 'update' => 'x' ) );
	$bad   = igny8_test_answer();
	$bad['update']['new_version'] = array( 'nested' );
	$cases[]                      = $bad;
	$bad                          = igny8_test_answer();
	$bad['update']['package']     = 'javascript:alert(1)';
	$cases[]                      = $bad;
	foreach ( $cases as $index => $answer ) {
		assert_same( null, Igny8_Bridge_Offer::update_item( $answer, 'demo/demo.php', 'demo' ), "case $index" );
	}
}

function test_the_announcement_names_version_hashes_and_signature() {
	$announced = Igny8_Bridge_Offer::announcement( igny8_test_answer() );
	assert_same( '1.1.0', $announced['latest_version'] );
	assert_same( 'k1', $announced['signature_key_id'] );
	assert_same( null, Igny8_Bridge_Offer::announcement( array( 'latest_version' => '1.0' ) ) );
}

function test_api_urls_are_normalized_and_non_http_refused() {
	assert_same( 'https://api.example/api', Igny8_Bridge_Offer::normalize_api_url( ' https://api.example/api/plugins/ ' ) );
	assert_same( 'http://127.0.0.1:8000/api', Igny8_Bridge_Offer::normalize_api_url( 'http://127.0.0.1:8000/api/' ) );
	foreach ( array( 'ftp://x/api', 'javascript:alert(1)', 'https://', 'https://a b/', 'https://x/api?q=1' ) as $bad ) {
		assert_same( '', Igny8_Bridge_Offer::normalize_api_url( $bad ), $bad );
	}
}

function test_managed_slugs_and_package_urls_belong_to_the_service_only() {
	$bases = array( 'http://127.0.0.1:8000/api', 'https://api.igny8.com/api' );
	assert_same( 'igny8-wp-bridge', Igny8_Bridge_Offer::managed_slug( 'https://api.igny8.com/api/plugins/igny8-wp-bridge/', $bases ) );
	assert_same( null, Igny8_Bridge_Offer::managed_slug( 'https://evil.example/api/plugins/x/', $bases ) );
	assert_same( null, Igny8_Bridge_Offer::managed_slug( 'https://api.igny8.com/api/plugins/../x/', $bases ) );
	assert_same( 'demo', Igny8_Bridge_Offer::package_slug( 'http://127.0.0.1:8000/api/plugins/demo/download/?version=1.2.0', $bases ) );
	assert_same( null, Igny8_Bridge_Offer::package_slug( 'http://127.0.0.1:8000/api/plugins/demo/info/', $bases ) );
	assert_same( null, Igny8_Bridge_Offer::package_slug( 'http://127.0.0.1:8000.evil/api/plugins/demo/download/', $bases ) );
	assert_same( '1.2.0-beta1', Igny8_Bridge_Offer::package_version( 'http://x/api/plugins/demo/download/?version=1.2.0-beta1' ) );
	assert_same( null, Igny8_Bridge_Offer::package_version( 'http://x/api/plugins/demo/download/' ) );
}

function test_backoff_doubles_from_five_minutes_to_six_hours() {
	assert_same( array( 300, 600, 1200, 2400 ), array_map( array( 'Igny8_Bridge_Backoff', 'delay' ), array( 1, 2, 3, 4 ) ) );
	assert_same( 21600, Igny8_Bridge_Backoff::delay( 50 ) );
	$state = Igny8_Bridge_Backoff::failed( array(), 1000, 'timed out' );
	assert_same( false, Igny8_Bridge_Backoff::allows( $state, 1299 ) );
	assert_same( true, Igny8_Bridge_Backoff::allows( $state, 1300 ) );
	assert_same( 2, Igny8_Bridge_Backoff::failed( $state, 1300, 'again' )['failures'] );
	assert_same( true, Igny8_Bridge_Backoff::allows( array(), 0 ) );
}
