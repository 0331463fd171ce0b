/**
 * The `ga` config section: the Google Analytics 4 import through AppFlow.
 *
 * Off unless both `propertyId` and `auth` are set. Credentials never appear
 * here: `auth` only says where they come from (an AppFlow connection made
 * once in the console, sensitive Terraform variables, or a Secrets Manager
 * secret), so a config file can be committed as it is.
 */
import * as z from "zod";

/** AppFlow connector profile names. @see https://docs.aws.amazon.com/appflow/1.0/APIReference/API_ConnectorProfile.html */
const ConnectionName = z
  .string()
  .max(256, "AppFlow connection names are at most 256 characters")
  .regex(/^[\w/!@#+=.-]+$/, "an AppFlow connection name: letters, digits and _/!@#+=.-");

/** Secrets Manager secret names. @see https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html */
const SecretName = z
  .string()
  .min(1)
  .max(512, "secret names are at most 512 characters")
  .regex(/^[\w/+=.@-]+$/, "a Secrets Manager secret name: letters, digits and /_+=.@-");

export const GA_AUTH_TYPES = ["connection", "terraform-variables", "secrets-manager"] as const;

export const GaAuthConfig = z.discriminatedUnion(
  "type",
  [
    z.strictObject({
      /** Use an AppFlow connection (connector profile) created once in the console; Terraform only references it by name. */
      type: z.literal("connection"),
      /** Name of the GA4 connection, as the AppFlow console shows it. */
      connectionName: ConnectionName,
    }),
    z.strictObject({
      /**
       * Create the connection from OAuth client id, client secret and refresh token passed as sensitive
       * Terraform variables `ga_client_id`, `ga_client_secret`, `ga_refresh_token` (e.g. `TF_VAR_ga_client_secret`).
       */
      type: z.literal("terraform-variables"),
    }),
    z.strictObject({
      /** Create the connection from a Secrets Manager secret holding JSON `{"clientId","clientSecret","refreshToken"}`. */
      type: z.literal("secrets-manager"),
      /** Name (or ARN) of the secret. */
      secretName: SecretName,
    }),
  ],
  { error: () => `type must be one of ${GA_AUTH_TYPES.map((t) => `"${t}"`).join(", ")}` },
);
export type GaAuthConfig = z.output<typeof GaAuthConfig>;

export const GaConfig = z
  .strictObject({
    /**
     * The GA4 property id: digits only, from GA Admin > Property details (not the `G-...` measurement id).
     * @default none: the import is off
     */
    propertyId: z
      .string()
      .regex(/^\d{5,15}$/, "a GA4 property id: digits only, e.g. 123456789 (not a G-... measurement id or a UA-... id)")
      .optional(),
    /** Where AppFlow's Google credentials come from. @default none: the import is off */
    auth: GaAuthConfig.optional(),
    /**
     * The GA4 connector's object (entity) the flow reads. Check yours with
     * `aws appflow list-connector-entities --connector-profile-name <connection> --api-version v1beta`.
     * @default "properties/<propertyId>/core-report" (the daily Core Report of the property; not verified against a live account)
     */
    entityName: z.string().min(1).max(1024).optional(),
  })
  .prefault({});
export type GaConfig = z.output<typeof GaConfig>;

/** Whether the config turns the import on, and if not, why: one line for the synth output. */
export type GaImportStatus =
  | { readonly on: true; readonly propertyId: string; readonly auth: GaAuthConfig; readonly entityName: string }
  | { readonly on: false; readonly reason: string };

export function gaImportStatus(ga: GaConfig): GaImportStatus {
  if (ga.propertyId === undefined && ga.auth === undefined) {
    return { on: false, reason: "the config sets no ga.propertyId and no ga.auth (see docs/ga-import.md)" };
  }
  if (ga.propertyId === undefined) return { on: false, reason: "ga.auth is set but ga.propertyId is not" };
  if (ga.auth === undefined) {
    return { on: false, reason: 'ga.propertyId is set but ga.auth is not (type "connection", "terraform-variables" or "secrets-manager")' };
  }
  return { on: true, propertyId: ga.propertyId, auth: ga.auth, entityName: ga.entityName ?? defaultGaEntity(ga.propertyId) };
}

/** The Core Report object of a property. The naming is not verified against a live account: override it with ga.entityName. */
export function defaultGaEntity(propertyId: string): string {
  return `properties/${propertyId}/core-report`;
}
