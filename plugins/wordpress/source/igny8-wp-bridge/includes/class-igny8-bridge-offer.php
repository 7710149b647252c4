<?php
/**
 * The service's answers, read defensively: update items, announcements, package URLs.
 *
 * Pure PHP, unit-tested with `php` alone: what reaches WordPress' update transient comes from
 * here, so a malformed or hostile answer is caught before WordPress sees it.
 *
 * @package Igny8_WP_Bridge
 */

defined( 'ABSPATH' ) || defined( 'IGNY8_BRIDGE_TESTING' ) || exit;

/**
 * Turns a check-update answer into what WordPress keeps, and names things the service serves.
 */
final class Igny8_Bridge_Offer {

	/** Fields of the server's update item that are plain strings in WordPress' transient. */
	const STRING_FIELDS = array( 'id', 'slug', 'new_version', 'package', 'url', 'requires', 'tested', 'requires_php', 'upgrade_notice' );

	/**
	 * The API base URL in one form: no trailing slash, no trailing "/plugins".
	 *
	 * @param string $url As entered by an admin or defined in wp-config.php.
	 * @return string Empty when it is not an http(s) URL.
	 */
	public static function normalize_api_url( $url ) {
		$url = trim( (string) $url );
		if ( ! preg_match( '~^https?://[^/\s?#]+(/[^\s?#]*)?$~i', $url ) ) {
			return '';
		}
		$url = rtrim( $url, '/' );
		if ( '/plugins' === substr( $url, -8 ) ) {
			$url = substr( $url, 0, -8 );
		}
		return $url;
	}

	/**
	 * The slug a plugin's Update URI names under one of the service's bases, or null if none.
	 *
	 * @param string   $update_uri The plugin header's Update URI.
	 * @param string[] $bases      API base URLs (normalized).
	 * @return string|null
	 */
	public static function managed_slug( $update_uri, array $bases ) {
		foreach ( $bases as $base ) {
			$prefix = $base . '/plugins/';
			if ( '' !== $base && 0 === strpos( (string) $update_uri, $prefix ) ) {
				$slug = trim( substr( (string) $update_uri, strlen( $prefix ) ), '/' );
				if ( preg_match( '/^[a-z0-9][a-z0-9_-]{0,63}$/', $slug ) ) {
					return $slug;
				}
			}
		}
		return null;
	}

	/**
	 * WordPress' update item from a check-update answer, passed through whole (icons, banners,
	 * upgrade notice, requirements, autoupdate), with the plugin file and slug of this site.
	 *
	 * @param mixed  $answer      The decoded check-update answer.
	 * @param string $plugin_file The plugin's file relative to the plugins directory.
	 * @param string $slug        The plugin's slug at the service.
	 * @return array|null Null when the answer has no usable item.
	 */
	public static function update_item( $answer, $plugin_file, $slug ) {
		if ( ! is_array( $answer ) || ! isset( $answer['update'] ) || ! is_array( $answer['update'] ) ) {
			return null;
		}
		$item = $answer['update'];
		foreach ( self::STRING_FIELDS as $field ) {
			if ( isset( $item[ $field ] ) && ! is_scalar( $item[ $field ] ) ) {
				return null;
			}
			$item[ $field ] = isset( $item[ $field ] ) ? (string) $item[ $field ] : '';
		}
		if ( '' === $item['new_version'] || ! preg_match( '#^https?://#i', $item['package'] ) ) {
			return null;
		}
		foreach ( array( 'icons', 'banners', 'banners_rtl' ) as $field ) {
			$item[ $field ] = isset( $item[ $field ] ) && is_array( $item[ $field ] ) ? $item[ $field ] : array();
		}
		$item['slug']       = $slug;
		$item['plugin']     = $plugin_file;
		$item['autoupdate'] = ! empty( $item['autoupdate'] );
		return $item;
	}

	/**
	 * What check-update announced about the package of the version it describes, for verifying it.
	 *
	 * @param mixed $answer The decoded check-update answer.
	 * @return array|null version, sha256, sha384, signature, signature_key_id, package, released_at.
	 */
	public static function announcement( $answer ) {
		if ( ! is_array( $answer ) || empty( $answer['latest_version'] ) || empty( $answer['sha256'] ) ) {
			return null;
		}
		$announced = array();
		foreach ( array( 'latest_version', 'sha256', 'sha384', 'signature', 'signature_key_id', 'download_url', 'released_at' ) as $field ) {
			if ( isset( $answer[ $field ] ) && ! is_scalar( $answer[ $field ] ) ) {
				return null;
			}
			$announced[ $field ] = isset( $answer[ $field ] ) ? (string) $answer[ $field ] : '';
		}
		return $announced;
	}

	/**
	 * The version a package URL of the service pins (?version=), or null.
	 *
	 * @param string $url A package URL.
	 * @return string|null
	 */
	public static function package_version( $url ) {
		$query = (string) parse_url( (string) $url, PHP_URL_QUERY );
		parse_str( $query, $params );
		return isset( $params['version'] ) && is_string( $params['version'] ) && '' !== $params['version'] ? $params['version'] : null;
	}

	/**
	 * The slug of a package URL under one of the service's bases, or null.
	 *
	 * @param string   $url   A package URL.
	 * @param string[] $bases API base URLs (normalized).
	 * @return string|null
	 */
	public static function package_slug( $url, array $bases ) {
		foreach ( $bases as $base ) {
			$prefix = $base . '/plugins/';
			if ( '' !== $base && 0 === strpos( (string) $url, $prefix )
				&& preg_match( '#^([a-z0-9][a-z0-9_-]{0,63})/download/?(\?|$)#', substr( (string) $url, strlen( $prefix ) ), $match ) ) {
				return $match[1];
			}
		}
		return null;
	}
}
