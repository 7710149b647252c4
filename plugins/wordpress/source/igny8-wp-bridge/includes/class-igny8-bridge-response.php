<?php
/**
 * The service's HTTP responses, read: JSON or a WP_Error saying what went wrong, whether it means
 * "back off", and the exact bytes an answer's signature covers.
 *
 * @package Igny8_WP_Bridge
 */

defined( 'ABSPATH' ) || exit;

/**
 * Reads wp_remote_request() results.
 */
final class Igny8_Bridge_Response {

	/**
	 * A response as a JSON object, or a WP_Error saying what the service said or did wrong.
	 *
	 * @param array|WP_Error $response wp_remote_request()'s result.
	 * @return array|WP_Error
	 */
	public static function read( $response ) {
		if ( is_wp_error( $response ) ) {
			return new WP_Error( 'igny8_bridge_unreachable', $response->get_error_message(), array( 'server_failed' => true ) );
		}
		$status = (int) wp_remote_retrieve_response_code( $response );
		$raw    = (string) wp_remote_retrieve_body( $response );
		if ( 204 === $status ) {
			return array();
		}
		$json = json_decode( $raw, true );
		if ( $status >= 200 && $status < 300 ) {
			return is_array( $json )
				? $json
				: new WP_Error( 'igny8_bridge_bad_answer', __( 'The IGNY8 plugin service sent an unreadable answer.', 'igny8-wp-bridge' ), array( 'server_failed' => true ) );
		}
		$message = is_array( $json ) && isset( $json['error']['message'] ) && is_string( $json['error']['message'] )
			? $json['error']['message']
			: sprintf( 'HTTP %d', $status );
		$code    = is_array( $json ) && isset( $json['error']['code'] ) && is_string( $json['error']['code'] ) ? $json['error']['code'] : 'http_' . $status;
		return new WP_Error(
			'igny8_bridge_' . sanitize_key( $code ),
			sprintf(
				/* translators: 1: HTTP status, 2: the service's message */
				__( 'The IGNY8 plugin service refused (%1$d): %2$s', 'igny8-wp-bridge' ),
				$status,
				wp_strip_all_tags( $message )
			),
			array(
				'status'        => $status,
				'server_failed' => $status >= 500 || 429 === $status || 401 === $status,
			)
		);
	}

	/**
	 * Whether an error means "stop asking for a while": the server is down, overloaded, answers
	 * garbage, or refuses this site's key (asking again changes nothing until an admin acts).
	 *
	 * @param mixed $result A read() result.
	 * @return bool
	 */
	public static function server_failed( $result ) {
		if ( ! is_wp_error( $result ) ) {
			return false;
		}
		$data = $result->get_error_data();
		return is_array( $data ) && ! empty( $data['server_failed'] );
	}

	/**
	 * A read response as received: its JSON, and its exact bytes with their signature headers
	 * (what Igny8_Bridge_Trust::believe() verifies).
	 *
	 * @param array $response wp_remote_request()'s result.
	 * @param array $json     Its read() JSON.
	 * @return array{json: array, raw: string, signature: string, key_id: string}
	 */
	public static function received( $response, array $json ) {
		return array(
			'json'      => $json,
			'raw'       => (string) wp_remote_retrieve_body( $response ),
			'signature' => (string) wp_remote_retrieve_header( $response, 'x-igny8-signature' ),
			'key_id'    => (string) wp_remote_retrieve_header( $response, 'x-igny8-key-id' ),
		);
	}

	/**
	 * The JSON of what exchange() returned, or its WP_Error.
	 *
	 * @param array|WP_Error $received A received() array or a WP_Error.
	 * @return array|WP_Error
	 */
	public static function json( $received ) {
		return is_wp_error( $received ) ? $received : $received['json'];
	}
}
