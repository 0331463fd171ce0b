import { PRICE_KEYS, type Price, type PriceFile, type PriceKey } from "../../cost/estimate";

/** Every price 1 USD per unit (or the override), so quantities and dollars are numbers worked out by hand. */
export function fixedPrices(overrides: Partial<Record<PriceKey, number>> = {}): PriceFile {
  const prices = Object.fromEntries(
    PRICE_KEYS.map((k): [PriceKey, Price] => [
      k,
      { usd: overrides[k] ?? 1, per: 1, unit: k, verified: true, asOf: "2025-06", source: "test", note: "test" },
    ]),
  ) as Record<PriceKey, Price>;
  return { about: "test", currency: "USD", region: "eu-west-1", hoursPerMonth: 730, prices, regionOverrides: {} };
}
