<?php
/**
 * Plugin Name:       IGNY8 WordPress Bridge
 * Plugin URI:        https://igny8.com
 * Description:       Connects this site to IGNY8 and keeps IGNY8's plugins up to date from the IGNY8 plugin service.
 * Version:           1.0.0
 * Requires at least: 5.8
 * Requires PHP:      7.4
 * Author:            IGNY8
 * Author URI:        https://igny8.com
 * License:           GPLv2 or later
 * License URI:       https://www.gnu.org/licenses/gpl-2.0.html
 * Text Domain:       igny8-wp-bridge
 * Update URI:        https://api.igny8.com/api/plugins/igny8-wp-bridge/
 *
 * @package Igny8_WP_Bridge
 */

defined( 'ABSPATH' ) || exit;

define( 'IGNY8_BRIDGE_VERSION', '1.0.0' );
define( 'IGNY8_BRIDGE_FILE', __FILE__ );

// A staging or local stack can point the bridge elsewhere by defining this in wp-config.php.
if ( ! defined( 'IGNY8_BRIDGE_API_URL' ) ) {
	define( 'IGNY8_BRIDGE_API_URL', 'https://api.igny8.com/api/plugins/' );
}

require_once plugin_dir_path( __FILE__ ) . 'includes/class-igny8-bridge.php';

Igny8_Bridge::instance()->register();
