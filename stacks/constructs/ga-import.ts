/**
 * The Google Analytics 4 import: an AppFlow flow that pulls a daily GA4
 * report into the lake's `ga/` prefix as Parquet, the Glue table over it, and
 * the bucket-policy statement that lets only AppFlow, for this account and
 * this flow, write there.
 *
 * The GA4 connector is an AWS-managed "custom" connector: connector type
 * `CustomConnector` with label `GoogleAnalytics4` and API version `v1beta`, as
 * AWS's cdklabs/cdk-appflow library deploys it. The older `Googleanalytics`
 * connector type reads only Universal Analytics properties.
 * @see https://docs.aws.amazon.com/appflow/latest/userguide/connectors-google-analytics-4.html
 */
import { AppflowConnectorProfile } from "@cdktf/provider-aws/lib/appflow-connector-profile";
import { AppflowFlow, type AppflowFlowTask } from "@cdktf/provider-aws/lib/appflow-flow";
import { AthenaNamedQuery } from "@cdktf/provider-aws/lib/athena-named-query";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { DataAwsSecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/data-aws-secretsmanager-secret-version";
import { GlueCatalogTable } from "@cdktf/provider-aws/lib/glue-catalog-table";
import { Fn, TerraformVariable, Token } from "cdktf";
import { Construct } from "constructs";
import { ATHENA_LIMITS } from "../../config/athena";
import type { GaAuthConfig, GaImportStatus } from "../../config/ga";
import { GA_COMPARISON_VIEW, gaComparisonViewDdl } from "../../queries/ga";
import {
  GA_INCREMENTAL_FIELD,
  GA_REPORT_FIELDS,
  GA_REPORT_LIMITS,
  type GaReportRow,
  GaReportRowSchema,
  gaFlowPrefix,
  gaTableSpec,
  LAKE_PREFIXES,
} from "../../schemas";
import { checkName } from "../names";
import { glueTableConfig, type LakeCatalog } from "./catalog";
import type { SecureBucket } from "./secure-bucket";

/** How AppFlow addresses the GA4 connector. @see https://github.com/cdklabs/cdk-appflow (src/googleanalytics4) */
export const GA4_CONNECTOR = {
  connectorType: "CustomConnector",
  connectorLabel: "GoogleAnalytics4",
  apiVersion: "v1beta",
  /** Google's OAuth 2.0 token endpoint, where AppFlow trades the refresh token for access tokens. */
  tokenUrl: "https://oauth2.googleapis.com/token",
} as const;

/** Once a day: AppFlow's rate syntax. @see https://docs.aws.amazon.com/appflow/1.0/APIReference/API_ScheduledTriggerProperties.html */
export const GA_SCHEDULE = "rate(1days)";

/** Names of the sensitive Terraform variables of the `terraform-variables` auth. */
export const GA_VARIABLES = {
  clientId: "ga_client_id",
  clientSecret: "ga_client_secret",
  refreshToken: "ga_refresh_token",
} as const;

export interface GaImportProps {
  /** AppFlow flow name; also the folder under `ga/` the flow writes to. */
  readonly flowName: string;
  /** Where the Google credentials come from. */
  readonly auth: GaAuthConfig;
  /** The GA4 connector object to read, e.g. `properties/123456789/core-report`. */
  readonly entityName: string;
  /** The lake bucket; the flow writes under `ga/<flowName>/`. */
  readonly lake: SecureBucket;
  /** The lake's Glue catalog: the table is created in its database. */
  readonly catalog: LakeCatalog;
  /** Plain name of that database, for the comparison view's SQL (a token cannot be rendered into SQL). */
  readonly databaseName: string;
  /**
   * Athena workgroup that gets a named query creating the GA-vs-logs view (queries/sql/ga/).
   * @default no named query (create the view with `gaComparisonViewDdl` from queries/ga.ts)
   */
  readonly workgroupName?: string;
  /** The deploying account: the bucket policy admits AppFlow only on its behalf. */
  readonly accountId: string;
  /** Region of the flow (for its ARN in the bucket policy). */
  readonly region: string;
  /**
   * Name of the connector profile this construct creates for `terraform-variables` and `secrets-manager` auth.
   * @default "<flowName>-connection"
   */
  readonly connectionName?: string;
}

export class GaImport extends Construct {
  readonly flow: AppflowFlow;
  readonly table: GlueCatalogTable;
  /** Saved query that creates the comparison view; only with props.workgroupName. */
  readonly viewQuery?: AthenaNamedQuery;
  /** Created for OAuth credentials; undefined when the flow uses a console-made connection. */
  readonly connectorProfile?: AppflowConnectorProfile;
  /** Name of the connector profile the flow reads through. */
  readonly connectionName: string;

  constructor(scope: Construct, id: string, props: GaImportProps) {
    super(scope, id);
    checkReportFields(this.node.path);

    const prefix = gaFlowPrefix(props.flowName);
    this.connectionName =
      props.auth.type === "connection" ? props.auth.connectionName : (props.connectionName ?? `${props.flowName}-connection`);
    this.connectorProfile = this.createConnectorProfile(props.auth);

    // Only AppFlow, for this account and this flow, may write ga/ (and read the bucket ACL it checks).
    const partition = new DataAwsPartition(this, "partition");
    const flowArn = `arn:${partition.partition}:appflow:${props.region}:${props.accountId}:flow/${props.flowName}`;
    const onlyThisFlow = [
      { test: "StringEquals", variable: "aws:SourceAccount", values: [props.accountId] },
      { test: "ArnLike", variable: "aws:SourceArn", values: [flowArn] },
    ];
    const appflow = [{ type: "Service", identifiers: ["appflow.amazonaws.com"] }];
    props.lake.addToResourcePolicy(
      {
        sid: "AppFlowGaBucket",
        principals: appflow,
        actions: ["s3:GetBucketAcl", "s3:ListBucketMultipartUploads"],
        resources: [props.lake.arn],
        condition: onlyThisFlow,
      },
      {
        sid: "AppFlowGaObjects",
        principals: appflow,
        actions: ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts", "s3:PutObjectAcl"],
        resources: [props.lake.arnForObjects(prefix)],
        condition: onlyThisFlow,
      },
    );

    this.flow = new AppflowFlow(this, "flow", {
      name: checkName("appflow", props.flowName, this),
      description: "Google Analytics 4 daily report (pages, countries, devices, sources) into the lake as Parquet.",
      sourceFlowConfig: {
        connectorType: GA4_CONNECTOR.connectorType,
        connectorProfileName: this.connectorProfile ? this.connectorProfile.name : this.connectionName,
        apiVersion: GA4_CONNECTOR.apiVersion,
        sourceConnectorProperties: { customConnector: { entityName: props.entityName } },
        incrementalPullConfig: { datetimeTypeFieldName: GA_REPORT_FIELDS[GA_INCREMENTAL_FIELD].apiName },
      },
      destinationFlowConfig: [
        {
          connectorType: "S3",
          destinationConnectorProperties: {
            s3: {
              bucketName: props.lake.name,
              // AppFlow adds `/<flow name>/yyyy/MM/dd/` below the prefix itself.
              bucketPrefix: LAKE_PREFIXES.ga.replace(/\/$/, ""),
              s3OutputFormatConfig: {
                fileType: "PARQUET",
                // Every value as a string: certain file types, whatever the connector reports (see schemas/ga.ts).
                preserveSourceDataTyping: false,
                prefixConfig: { prefixType: "PATH", prefixFormat: "DAY" },
                aggregationConfig: { aggregationType: "None" },
              },
            },
          },
        },
      ],
      task: reportTasks(),
      triggerConfig: {
        triggerType: "Scheduled",
        triggerProperties: { scheduled: { scheduleExpression: GA_SCHEDULE, dataPullMode: "Incremental" } },
      },
      // AppFlow checks the destination bucket policy when the flow is created.
      dependsOn: [props.lake.bucketPolicy, ...(this.connectorProfile ? [this.connectorProfile] : [])],
    });

    this.table = new GlueCatalogTable(
      this,
      "table",
      glueTableConfig(this.node.path, gaTableSpec(props.catalog.databaseName, props.lake.name, props.flowName)),
    );

    if (props.workgroupName !== undefined) {
      const ddl = gaComparisonViewDdl({ database: props.databaseName });
      if (ddl.length > ATHENA_LIMITS.namedQueryString)
        throw new Error(`${this.node.path}: view query over ${ATHENA_LIMITS.namedQueryString} characters`);
      this.viewQuery = new AthenaNamedQuery(this, "comparison-view", {
        name: `Google Analytics: create view ${GA_COMPARISON_VIEW}`,
        description: "Run once: creates the view of GA4 page views next to the logs' page views per day and page (bots excluded).",
        // The database reference (not the plain name) orders creation after the database.
        database: props.catalog.databaseName,
        workgroup: props.workgroupName,
        query: ddl,
        dependsOn: [this.table, props.catalog.eventsTable],
      });
    }
  }

  private createConnectorProfile(auth: GaAuthConfig): AppflowConnectorProfile | undefined {
    if (auth.type === "connection") return undefined;
    const credentials = auth.type === "terraform-variables" ? this.variableCredentials() : this.secretCredentials(auth.secretName);
    return new AppflowConnectorProfile(this, "connection", {
      name: checkName("appflow", this.connectionName, this),
      connectorType: GA4_CONNECTOR.connectorType,
      connectorLabel: GA4_CONNECTOR.connectorLabel,
      connectionMode: "Public",
      connectorProfileConfig: {
        connectorProfileCredentials: {
          customConnector: {
            authenticationType: "OAUTH2",
            oauth2: {
              clientId: credentials.clientId,
              clientSecret: credentials.clientSecret,
              refreshToken: credentials.refreshToken,
              // AppFlow wants an access token even for the refresh-token grant; it fetches a real one
              // from tokenUrl. Not a secret: AWS's cdk-appflow sends the same placeholder.
              accessToken: "placeholder-refreshed-by-appflow",
            },
          },
        },
        connectorProfileProperties: {
          customConnector: {
            oauth2Properties: { oauth2GrantType: "AUTHORIZATION_CODE", tokenUrl: GA4_CONNECTOR.tokenUrl },
          },
        },
      },
    });
  }

  /** Sensitive variables: Terraform redacts them in plans and output; pass them as TF_VAR_ga_* at plan/apply time. */
  private variableCredentials(): OAuthCredentials {
    const variable = (name: string, description: string) => {
      const v = new TerraformVariable(this, name, {
        type: "string",
        sensitive: true,
        nullable: false,
        description,
        // Terraform JSON reads a bare string as text: the condition must be an interpolation.
        validation: [{ condition: `\${length(var.${name}) > 0}`, errorMessage: `${name} must not be empty.` }],
      });
      // A stable name users can set (TF_VAR_ga_client_id), not one derived from the construct path.
      v.overrideLogicalId(name);
      return v.stringValue;
    };
    return {
      clientId: variable(GA_VARIABLES.clientId, "OAuth 2.0 client id of the Google Cloud web client AppFlow uses for GA4."),
      clientSecret: variable(GA_VARIABLES.clientSecret, "OAuth 2.0 client secret of that client."),
      refreshToken: variable(GA_VARIABLES.refreshToken, "Refresh token granting that client read access to the GA4 property."),
    };
  }

  /** JSON secret `{"clientId","clientSecret","refreshToken"}`; Terraform marks values read from it sensitive. */
  private secretCredentials(secretName: string): OAuthCredentials {
    const version = new DataAwsSecretsmanagerSecretVersion(this, "oauth-secret", { secretId: secretName });
    const json = Fn.jsondecode(version.secretString);
    const field = (key: string) => Token.asString(Fn.lookup(json, key));
    return { clientId: field("clientId"), clientSecret: field("clientSecret"), refreshToken: field("refreshToken") };
  }
}

interface OAuthCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly refreshToken: string;
}

/** The flow's tasks: project the report's fields, then map each GA4 field to its lake column. */
function reportTasks(): AppflowFlowTask[] {
  const fields = Object.entries(GA_REPORT_FIELDS) as [keyof GaReportRow, (typeof GA_REPORT_FIELDS)[keyof GaReportRow]][];
  return [
    { taskType: "Filter", sourceFields: fields.map(([, f]) => f.apiName), connectorOperator: [{ customConnector: "PROJECTION" }] },
    ...fields.map(([column, f]) => ({
      taskType: "Map",
      sourceFields: [f.apiName],
      destinationField: column,
      connectorOperator: [{ customConnector: "NO_OP" }],
    })),
  ];
}

/** The GA4 Data API rejects a report over its dimension and metric limits; fail at synth instead. */
function checkReportFields(where: string): void {
  const fields = Object.values(GA_REPORT_FIELDS);
  const dimensions = fields.filter((f) => f.kind === "dimension").length;
  const metrics = fields.filter((f) => f.kind === "metric").length;
  if (dimensions > GA_REPORT_LIMITS.dimensions || metrics > GA_REPORT_LIMITS.metrics) {
    throw new Error(
      `${where}: the GA4 report asks for ${dimensions} dimensions and ${metrics} metrics; the API allows at most ` +
        `${GA_REPORT_LIMITS.dimensions} and ${GA_REPORT_LIMITS.metrics}`,
    );
  }
  const names = Object.keys(GaReportRowSchema.shape);
  const mapped = Object.keys(GA_REPORT_FIELDS);
  if (names.join() !== mapped.join()) throw new Error(`${where}: GA_REPORT_FIELDS must list the columns of GaReportRowSchema in order`);
}

const announced = new WeakSet<object>();

/**
 * Print the import's status once per app (however many stacks ask): when off,
 * why; when on, that the scheduled flow starts in Draft until activated.
 */
export function announceGaImport(scope: Construct, status: GaImportStatus, log: (line: string) => void = console.log): void {
  const app = scope.node.root;
  if (announced.has(app)) return;
  announced.add(app);
  log(
    status.on
      ? `Google Analytics 4 import: on (property ${status.propertyId}); Terraform creates the scheduled flow in Draft, run \`npm run ga:activate\` after deploy`
      : `Google Analytics 4 import: off, ${status.reason}`,
  );
}
