<?php
/**
 * Removes the bridge's options when the plugin is deleted from the Plugins screen.
 *
 * @package Igny8_WP_Bridge
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

delete_option( 'igny8_bridge_site_id' );
delete_option( 'igny8_bridge_api_key' );
