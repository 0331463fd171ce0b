import { QUERIES } from "../queries";
import { LocalLake } from "../queries/duckdb";

async function main() {
  const lake = await LocalLake.open("/tmp/h6/emptylake");
  for (const q of QUERIES) {
    try {
      const r = await lake.runQuery(q.id, { from: "2025-06-01", to: "2025-06-07" });
      console.log(q.id, r.rows.length);
    } catch (e) {
      console.log("ERR", q.id, (e as Error).message);
    }
  }
  lake.close();
}
main();
