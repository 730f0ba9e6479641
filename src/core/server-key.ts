/**
 * One name for the loopback server however it is spelled. `localhost`, `127.0.0.1` (any 127.x address),
 * `::1` and `ip6-localhost` on one port are one server: the inventory's duplicate check must see one
 * database there, and the per-host cap, the connection-limit backoff and the HOST_DOWN breaker must count
 * one server's sessions together — two spellings would otherwise get a cap each, twice the sessions the
 * operator allowed on that server. Other names of one server (a DNS alias, a socket) are not resolved.
 * Used as a key only: messages, manifests and the journal keep the host as the inventory spells it.
 */
export function serverKey(host: string): string {
  return host.replace(
    /^(\w+:\/\/)(localhost|ip6-localhost|127(?:\.\d{1,3}){3}|\[?::1\]?)(?=:\d+$|$)/i,
    '$1loopback',
  );
}
