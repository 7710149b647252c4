<?php
/**
 * Plugin Name:       IGNY8 WordPress Bridge
 * Plugin URI:        https://igny8.com
 * Description:       Connects this site to IGNY8 and keeps IGNY8's plugins up to date from the IGNY8 plugin service, verifying every package before it is installed.
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
define( 'IGNY8_BRIDGE_DIR', plugin_dir_path( __FILE__ ) );
define( 'IGNY8_BRIDGE_SLUG', 'igny8-wp-bridge' );

// wp-config.php may fix the server (define IGNY8_BRIDGE_API_URL); else Settings > IGNY8 Bridge.
require_once IGNY8_BRIDGE_DIR . 'includes/class-igny8-bridge-verifier.php';
require_once IGNY8_BRIDGE_DIR . 'includes/class-igny8-bridge-answers.php';
require_once IGNY8_BRIDGE_DIR . 'includes/class-igny8-bridge-backoff.php';
require_once IGNY8_BRIDGE_DIR . 'includes/class-igny8-bridge-offer.php';
require_once IGNY8_BRIDGE_DIR . 'includes/class-igny8-bridge-options.php';
require_once IGNY8_BRIDGE_DIR . 'includes/class-igny8-bridge-response.php';
require_once IGNY8_BRIDGE_DIR . 'includes/class-igny8-bridge-client.php';
require_once IGNY8_BRIDGE_DIR . 'includes/class-igny8-bridge-trust.php';
require_once IGNY8_BRIDGE_DIR . 'includes/class-igny8-bridge-reporter.php';
require_once IGNY8_BRIDGE_DIR . 'includes/class-igny8-bridge-updates.php';
require_once IGNY8_BRIDGE_DIR . 'includes/class-igny8-bridge-settings.php';
require_once IGNY8_BRIDGE_DIR . 'includes/class-igny8-bridge.php';

Igny8_Bridge::instance()->register();
