/**
 * A minimal MaxMind DB (MMDB 2.0) writer for tests (values encoded by scripts/mmdb-encode.ts): it builds small GeoIP
 * files in MaxMind's GeoLite2/GeoIP2 City layout or ip-location-db's flat one,
 * so the real `maxmind` reader can be tested on both without shipping
 * MaxMind's licensed data.
 * @see https://maxmind.github.io/MaxMind-DB/
 */
import { isIPv4 } from "node:net";
import { DATA_SECTION_SEPARATOR, encode, METADATA_MARKER, type MmdbValue, writeNode } from "../../scripts/mmdb-encode";

type Value = MmdbValue;

export interface Network {
  /** CIDR, e.g. `203.0.113.0/24` or `2001:db8::/32`. */
  readonly cidr: string;
  readonly data: { [key: string]: Value };
}

/** The bits of a network address, as an IPv6 tree sees them (IPv4 at ::a.b.c.d in an IPv6 tree). */
function networkBits(cidr: string, ipVersion: 4 | 6): number[] {
  const [addr, len] = cidr.split("/") as [string, string];
  const prefix = Number(len);
  let bytes: number[];
  if (isIPv4(addr)) {
    bytes = addr.split(".").map(Number);
    if (ipVersion === 6) return [...new Array(96).fill(0), ...toBits(bytes)].slice(0, 96 + prefix);
  } else {
    const [head, tail] = addr.split("::") as [string, string | undefined];
    const groups = (s: string) => (s ? s.split(":").map((g) => Number.parseInt(g, 16)) : []);
    const l = groups(head);
    const r = groups(tail ?? "");
    const all = [...l, ...new Array(8 - l.length - r.length).fill(0), ...r];
    bytes = all.flatMap((g) => [g >> 8, g & 0xff]);
  }
  return toBits(bytes).slice(0, prefix);
}

function toBits(bytes: number[]): number[] {
  return bytes.flatMap((b) => [7, 6, 5, 4, 3, 2, 1, 0].map((i) => (b >> i) & 1));
}

interface Node {
  children: [Node | number | null, Node | number | null];
}

/** Build an MMDB file (record size 24) holding the given networks. */
export function writeMmdb(options: { ipVersion: 4 | 6; databaseType: string; networks: readonly Network[] }): Buffer {
  const data: Buffer[] = [];
  let dataSize = 0;
  const root: Node = { children: [null, null] };
  for (const n of options.networks) {
    const offset = dataSize;
    const encoded = encode(n.data);
    data.push(encoded);
    dataSize += encoded.length;
    const bits = networkBits(n.cidr, options.ipVersion);
    let node = root;
    bits.forEach((bit, i) => {
      const b = bit as 0 | 1;
      if (i === bits.length - 1) {
        node.children[b] = offset;
        return;
      }
      let next = node.children[b];
      if (typeof next !== "object" || next === null) {
        next = { children: [null, null] };
        node.children[b] = next;
      }
      node = next;
    });
  }
  // Number the nodes breadth first; the root is node 0.
  const nodes: Node[] = [];
  const queue: Node[] = [root];
  while (queue.length) {
    const n = queue.shift() as Node;
    nodes.push(n);
    for (const c of n.children) if (c !== null && typeof c === "object") queue.push(c);
  }
  const index = new Map(nodes.map((n, i) => [n, i]));
  const nodeCount = nodes.length;
  const tree = Buffer.alloc(nodeCount * 6);
  const record = (c: Node | number | null) =>
    c === null ? nodeCount : typeof c === "number" ? nodeCount + 16 + c : (index.get(c) as number);
  nodes.forEach((n, i) => {
    writeNode(tree, i * 6, 24, record(n.children[0]), record(n.children[1]));
  });
  const metadata = encode({
    node_count: nodeCount,
    record_size: 24,
    ip_version: options.ipVersion,
    database_type: options.databaseType,
    languages: ["en"],
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: BigInt(1_748_736_000),
    description: { en: `test ${options.databaseType}` },
  });
  return Buffer.concat([tree, DATA_SECTION_SEPARATOR, ...data, METADATA_MARKER, metadata]);
}

/** A record in MaxMind's GeoIP2/GeoLite2 City layout. */
export function maxmindCity(country: string, region: string | null, city: string | null): { [key: string]: Value } {
  return {
    ...(city ? { city: { geoname_id: 1, names: { en: city, de: `${city} (de)` } } } : {}),
    continent: { code: "EU", names: { en: "Europe" } },
    country: { iso_code: country, names: { en: country } },
    location: { latitude: 52.37, longitude: 4.89, accuracy_radius: 20 },
    registered_country: { iso_code: country, names: { en: country } },
    ...(region ? { subdivisions: [{ iso_code: "XX", names: { en: region } }] } : {}),
  };
}

/** A record in ip-location-db's flat layout (DB-IP Lite, converted GeoLite2). */
export function flatCity(country: string, region: string, city: string): { [key: string]: Value } {
  return { city, country_code: country, latitude: 1.5, longitude: 2.5, postcode: "", state1: region, state2: "", timezone: "" };
}

/** A small GeoLite2-City-like file: one IPv6 tree holding IPv4 networks too, MaxMind's nested records. */
export function maxmindCityFixture(): Buffer {
  return writeMmdb({
    ipVersion: 6,
    databaseType: "GeoLite2-City",
    networks: [
      { cidr: "203.0.113.0/24", data: maxmindCity("NL", "North Holland", "Amsterdam") },
      { cidr: "198.51.100.0/24", data: maxmindCity("FR", null, null) },
      { cidr: "2001:db8:1::/48", data: maxmindCity("JP", "Tokyo", "Shibuya") },
    ],
  });
}
