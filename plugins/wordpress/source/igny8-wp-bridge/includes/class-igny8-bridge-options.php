<?php
/**
 * Where the bridge keeps its settings and state: per site, or network-wide when the bridge is
 * network-activated on multisite (one connection to IGNY8 for the whole network).
 *
 * @package Igny8_WP_Bridge
 */

defined( 'ABSPATH' ) || exit;

/**
 * Options and the bridge's small persistent state.
 */
final class Igny8_Bridge_Options {

	const API_URL       = 'igny8_bridge_api_url';
	const SITE_ID       = 'igny8_bridge_site_id';
	const API_KEY       = 'igny8_bridge_api_key';
	const DEFAULT_API   = 'https://api.igny8.com/api';
	const STATE_OPTIONS = array(
		'igny8_bridge_backoff',
		'igny8_bridge_checks',
		'igny8_bridge_announced',
		'igny8_bridge_keys',
		'igny8_bridge_queue',
		'igny8_bridge_running',
		'igny8_bridge_verified',
		'igny8_bridge_recheck',
		'igny8_bridge_beliefs',
	);

	/**
	 * Whether the bridge is network-activated, so its options are the network's.
	 *
	 * @return bool
	 */
	public static function network_wide() {
		if ( ! is_multisite() ) {
			return false;
		}
		if ( ! function_exists( 'is_plugin_active_for_network' ) ) {
			require_once ABSPATH . 'wp-admin/includes/plugin.php';
		}
		return is_plugin_active_for_network( plugin_basename( IGNY8_BRIDGE_FILE ) );
	}

	/**
	 * Reads an option from the right place.
	 *
	 * @param string $name    Option name.
	 * @param mixed  $default Value when unset.
	 * @return mixed
	 */
	public static function get( $name, $default = false ) {
		return self::network_wide() ? get_site_option( $name, $default ) : get_option( $name, $default );
	}

	/**
	 * Writes an option to the right place. State is not autoloaded unless every request reads
	 * it (the few bytes saying which versions last reported), so no page pays a query for it.
	 *
	 * @param string $name     Option name.
	 * @param mixed  $value    Value.
	 * @param bool   $autoload Whether every request reads it.
	 */
	public static function set( $name, $value, $autoload = false ) {
		if ( self::network_wide() ) {
			update_site_option( $name, $value );
		} else {
			update_option( $name, $value, $autoload );
		}
	}

	/**
	 * Deletes an option from the right place.
	 *
	 * @param string $name Option name.
	 */
	public static function delete( $name ) {
		if ( self::network_wide() ) {
			delete_site_option( $name );
		} else {
			delete_option( $name );
		}
	}

	/**
	 * Whether wp-config.php fixes the server URL (the settings field is then read-only).
	 *
	 * @return bool
	 */
	public static function api_url_locked() {
		return defined( 'IGNY8_BRIDGE_API_URL' ) && '' !== Igny8_Bridge_Offer::normalize_api_url( (string) IGNY8_BRIDGE_API_URL );
	}

	/**
	 * The service's API base URL, e.g. https://api.igny8.com/api.
	 *
	 * @return string
	 */
	public static function api_url() {
		if ( self::api_url_locked() ) {
			return Igny8_Bridge_Offer::normalize_api_url( (string) IGNY8_BRIDGE_API_URL );
		}
		$url = Igny8_Bridge_Offer::normalize_api_url( (string) self::get( self::API_URL, '' ) );
		return '' !== $url ? $url : self::DEFAULT_API;
	}

	/**
	 * Every base URL whose plugins the bridge manages: the configured one and production (the
	 * Update URI the bridge itself ships with).
	 *
	 * @return string[]
	 */
	public static function api_bases() {
		return array_values( array_unique( array( self::api_url(), self::DEFAULT_API ) ) );
	}

	/**
	 * The site's id and key, or null when the site is not connected.
	 *
	 * @return array{site_id: string, api_key: string}|null
	 */
	public static function credentials() {
		$site_id = (string) self::get( self::SITE_ID, '' );
		$api_key = (string) self::get( self::API_KEY, '' );
		if ( '' === $site_id || '' === $api_key ) {
			return null;
		}
		return array(
			'site_id' => $site_id,
			'api_key' => $api_key,
		);
	}

	/**
	 * Removes every option and state the bridge wrote, in both places (uninstall).
	 */
	public static function delete_all() {
		foreach ( array_merge( array( self::API_URL, self::SITE_ID, self::API_KEY ), self::STATE_OPTIONS ) as $name ) {
			delete_option( $name );
			if ( is_multisite() ) {
				delete_site_option( $name );
			}
		}
	}
}
