/**
 * User agent: browser family, OS, device class (ua-parser-js 1.x, MIT) and the
 * user-agent bot signal (isbot), cached per distinct string: real traffic has
 * few distinct user agents, and parsing one costs ~15 µs.
 */
import { isbotMatch } from "isbot";
import UAParser from "ua-parser-js";
import type { DEVICE_CLASSES } from "../../schemas/event";
import { BoundedCache } from "./cache";

export type DeviceClass = (typeof DEVICE_CLASSES)[number];

export interface UserAgentInfo {
  readonly browser: string | null;
  readonly os: string | null;
  /** Device class of a human visitor; the caller replaces it with `bot` when the request is automated. */
  readonly deviceClass: DeviceClass;
  /** The part of the user agent that names a bot, or null. */
  readonly botMatch: string | null;
}

/** Operating systems whose devices ua-parser-js leaves without a type: desktops and laptops. */
const DESKTOP_OS =
  /^(?:Windows|Mac OS|macOS|Linux|Ubuntu|Debian|Fedora|Chrom(?:e|ium) OS|FreeBSD|OpenBSD|NetBSD|Arch|Gentoo|Mint|SUSE|Red Hat|CentOS|Solaris)/i;

const UNKNOWN: UserAgentInfo = Object.freeze({ browser: null, os: null, deviceClass: "other", botMatch: null });

export function parseUserAgent(ua: string | null): UserAgentInfo {
  if (!ua) return UNKNOWN;
  const result = new UAParser(ua).getResult();
  const type = result.device.type;
  const os = result.os.name ?? null;
  const deviceClass: DeviceClass =
    type === "mobile" ? "mobile" : type === "tablet" ? "tablet" : type === undefined && os && DESKTOP_OS.test(os) ? "desktop" : "other";
  return { browser: result.browser.name ?? null, os, deviceClass, botMatch: isbotMatch(ua) };
}

/** {@link parseUserAgent} with a bounded cache. */
export class UserAgentCache {
  private readonly cache: BoundedCache<UserAgentInfo>;
  constructor(maxEntries = 5_000) {
    this.cache = new BoundedCache(maxEntries);
  }

  get(ua: string | null): UserAgentInfo {
    return ua ? this.cache.get(ua, parseUserAgent) : UNKNOWN;
  }

  get size(): number {
    return this.cache.size;
  }
}
