/** The transform's bounded cache, and the user agent and GeoIP caches built on it. */
import fc from "fast-check";
import { BoundedCache } from "../../../handlers/firehose-transform/cache";
import { parseUserAgent, UserAgentCache } from "../../../handlers/firehose-transform/user-agent";
import { USER_AGENTS } from "../../helpers/cloudfront-lines";

describe("BoundedCache", () => {
  it("makes each value once while it is cached, and never holds more than its maximum", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.constantFrom("a", "b", "c", "d", "e", "f", "g", "h", "i", "j")),
        (max, keys) => {
          const cache = new BoundedCache<string>(max);
          const made: string[] = [];
          const make = (k: string) => {
            made.push(k);
            return k.toUpperCase();
          };
          for (const k of keys) {
            expect(cache.get(k, make)).toBe(k.toUpperCase());
            expect(cache.size).toBeLessThanOrEqual(max);
          }
          // With room for every distinct key, each is made exactly once.
          if (new Set(keys).size <= max) expect(made).toEqual([...new Set(keys)]);
        },
      ),
    );
  });

  it("starts again empty when full: the next miss after the maximum clears the rest", () => {
    const cache = new BoundedCache<number>(2);
    let n = 0;
    const make = () => ++n;
    expect([cache.get("a", make), cache.get("b", make), cache.get("a", make)]).toEqual([1, 2, 1]);
    expect(cache.get("c", make)).toBe(3);
    expect(cache.size).toBe(1);
    expect(cache.get("a", make)).toBe(4);
  });
});

describe("UserAgentCache", () => {
  it("answers what parseUserAgent answers, through a flood of distinct (forged) user agents, within its bound", () => {
    const cache = new UserAgentCache(50);
    const forged = Array.from({ length: 500 }, (_, i) => `Mozilla/5.0 forged-${i}`);
    for (const ua of [...forged, ...Object.values(USER_AGENTS), null, ""]) {
      expect(cache.get(ua)).toEqual(parseUserAgent(ua));
      expect(cache.size).toBeLessThanOrEqual(50);
    }
  });
});
