<?php
/**
 * Development-only check that the plugin header is readable; never shipped to sites.
 *
 * @package Igny8_WP_Bridge
 */

$igny8_bridge_header = file_get_contents( dirname( __DIR__ ) . '/igny8-wp-bridge.php' );
if ( false === $igny8_bridge_header || false === strpos( $igny8_bridge_header, 'Plugin Name: ' ) ) {
	fwrite( STDERR, "plugin header missing\n" );
	exit( 1 );
}
echo "ok\n";
