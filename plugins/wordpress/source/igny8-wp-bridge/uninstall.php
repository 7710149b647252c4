<?php
/**
 * Removes everything the bridge stored when it is deleted from the Plugins screen.
 *
 * @package Igny8_WP_Bridge
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

require_once __DIR__ . '/includes/class-igny8-bridge-offer.php';
require_once __DIR__ . '/includes/class-igny8-bridge-options.php';

Igny8_Bridge_Options::delete_all();
foreach ( array( 'igny8_bridge_background_updates', 'igny8_bridge_send_reports', 'igny8_bridge_daily_health' ) as $igny8_bridge_hook ) {
	wp_clear_scheduled_hook( $igny8_bridge_hook );
}
