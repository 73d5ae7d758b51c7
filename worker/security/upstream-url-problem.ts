/**
 * Why `raw` must not be used as UPSTREAM_BASE_URL, or undefined when it may. Answers never
 * quote the URL: it is a setting that may hold credentials.
 *
 * A public upstream must be https with no credentials in it. Private, loopback, link-local
 * and cloud-metadata addresses, and names that only resolve inside a network, are refused
 * unless `allowPrivate` (ALLOW_PRIVATE_UPSTREAM, for local development and tests), which
 * also permits plain http to them; plain http to a public host is never accepted, since the
 * upstream key would cross the internet in clear text. Hosts are judged as the WHATWG URL
 * parser normalises them, so 2130706433, 0x7f.1 and 0177.0.0.1 are all seen as 127.0.0.1.
 */
export function upstreamUrlProblem(raw: string, allowPrivate: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "is not an absolute URL";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "must use https";
  if (url.username || url.password) return "must not contain credentials (put the key in UPSTREAM_API_KEY)";
  if (url.hash) return "must not contain a fragment";
  const isPrivate = isPrivateHost(url.hostname);
  if (isPrivate && !allowPrivate) return "points to a private, loopback or metadata address (set ALLOW_PRIVATE_UPSTREAM=true for local development only)";
  if (url.protocol === "http:" && !isPrivate) return "must use https (plain http is accepted only for a private upstream in local development)";
  return undefined;
}

/** Suffixes of names that resolve only inside a network or on the machine itself. */
const PRIVATE_SUFFIXES = [".localhost", ".internal", ".local", ".localdomain", ".home.arpa", ".lan", ".intranet", ".corp"];

function isPrivateHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (host.startsWith("[")) return isPrivateIpv6(host.slice(1, -1));
  const ipv4 = ipv4Of(host);
  if (ipv4 !== undefined) return isPrivateIpv4(ipv4);
  // A single label (localhost, metadata, a LAN host name) never names a public service.
  if (!host.includes(".")) return true;
  return PRIVATE_SUFFIXES.some((suffix) => host.endsWith(suffix));
}

/** The URL parser has already turned every IPv4 spelling into dotted decimal. */
function ipv4Of(host: string): number | undefined {
  const parts = host.split(".");
  if (parts.length !== 4 || !parts.every((part) => /^\d{1,3}$/.test(part))) return undefined;
  return parts.reduce((address, part) => address * 256 + Number(part), 0);
}

/** [first address, prefix length] of every IPv4 range that is not the public internet. */
const PRIVATE_IPV4: readonly (readonly [string, number])[] = [
  ["0.0.0.0", 8], // "this network"
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8],
  ["169.254.0.0", 16], // link-local, where cloud metadata services live
  ["172.16.0.0", 12],
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.168.0.0", 16],
  ["198.18.0.0", 15], // benchmarking
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, and broadcast
];

const ipv4Ranges = PRIVATE_IPV4.map(([first, bits]) => [ipv4Of(first)!, 2 ** (32 - bits)] as const);

function isPrivateIpv4(address: number): boolean {
  return ipv4Ranges.some(([first, size]) => address >= first && address < first + size);
}

/** The eight 16-bit groups of a normalised IPv6 literal (hex groups, at most one "::"). */
function ipv6Groups(text: string): number[] | undefined {
  const [head, tail, ...more] = text.split("::");
  if (more.length > 0) return undefined;
  const parse = (part: string | undefined) => (part ? part.split(":").map((group) => parseInt(group, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  const groups = tail === undefined ? left : [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
  return groups.length === 8 && groups.every((group) => Number.isInteger(group) && group >= 0 && group <= 0xffff) ? groups : undefined;
}

function isPrivateIpv6(text: string): boolean {
  const g = ipv6Groups(text);
  // Unparseable is treated as private: refusing is the safe answer.
  if (!g) return true;
  const embeddedIpv4 = (high: number, low: number) => isPrivateIpv4(high * 65536 + low);
  const zeros = (count: number) => g.slice(0, count).every((group) => group === 0);
  if (zeros(8)) return true; // ::
  if (zeros(7) && g[7] === 1) return true; // ::1
  if (zeros(5) && g[5] === 0xffff) return embeddedIpv4(g[6]!, g[7]!); // ::ffff:a.b.c.d, IPv4-mapped
  if (zeros(6)) return embeddedIpv4(g[6]!, g[7]!); // ::a.b.c.d, IPv4-compatible
  if (g[0] === 0x64 && g[1] === 0xff9b) return embeddedIpv4(g[6]!, g[7]!); // NAT64
  if (g[0] === 0x2002) return embeddedIpv4(g[1]!, g[2]!); // 6to4
  if (g[0] === 0x2001 && g[1] === 0) return true; // Teredo hides its IPv4 target
  const first = g[0]!;
  return (
    (first & 0xfe00) === 0xfc00 || // unique local, incl. fd00:ec2::254 (AWS metadata)
    (first & 0xffc0) === 0xfe80 || // link-local
    (first & 0xffc0) === 0xfec0 || // site-local
    (first & 0xff00) === 0xff00 // multicast
  );
}
