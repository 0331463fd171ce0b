export * from "./cloudfront";
export * from "./columns";
export * from "./event";
export * from "./generators/athena";
export * from "./generators/glue";
export * from "./generators/json-schema";
export * from "./generators/parquet";
export * from "./lake";
