/**
 * Writes the sample site's documents (site/docs/<id>.pdf), one small valid PDF
 * per catalog entry, and records each file's size in site/catalog.json. The
 * output is deterministic (no dates, no ids), so rerunning changes nothing.
 *
 * Usage: tsx scripts/site-pdfs.ts
 */
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { catalogDocumentPath } from "../schemas/transform-config";
import { readCatalog, SITE_DIR } from "../stacks/site-manifest";

/** PDF string literal: backslash, parentheses escaped; ASCII only (the standard Helvetica font has no other glyphs here). */
function pdfString(s: string): string {
  if (!/^[\x20-\x7e]*$/.test(s)) throw new Error(`PDF text must be printable ASCII: ${s}`);
  return `(${s.replace(/[\\()]/g, (c) => `\\${c}`)})`;
}

/** A one-page PDF 1.4 (A4) with a title and lines of text, with a correct cross-reference table. */
export function buildPdf(title: string, lines: readonly string[]): Buffer {
  const text = [
    "BT",
    "/F1 20 Tf",
    "72 770 Td",
    `${pdfString(title)} Tj`,
    "/F1 11 Tf",
    "0 -30 Td",
    "14 TL",
    ...lines.map((l) => `${pdfString(l)} '`),
    "ET",
  ].join("\n");
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    `<< /Length ${Buffer.byteLength(text, "latin1")} >>\nstream\n${text}\nendstream`,
    `<< /Title ${pdfString(title)} /Producer (scripts/site-pdfs.ts) >>`,
  ];
  let body = "%PDF-1.4\n";
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(Buffer.byteLength(body, "latin1"));
    body += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = Buffer.byteLength(body, "latin1");
  // Each xref entry is exactly 20 bytes: 10-digit offset, space, 5-digit generation, space, n|f, CR LF.
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f\r\n`;
  for (const off of offsets) body += `${String(off).padStart(10, "0")} 00000 n\r\n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info 6 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, "latin1");
}

/** The text of one sample document. */
export function documentPdf(doc: { id: string; title: string }): Buffer {
  return buildPdf(`Sensor One: ${doc.title}`, [
    "A sample document of the demo site of the analytics pipeline.",
    `Document id: ${doc.id}. Served at ${catalogDocumentPath(doc.id)}.`,
    "Every download of this file is counted from the real-time logs of CloudFront.",
  ]);
}

export function writeSitePdfs(siteDir = SITE_DIR): { id: string; bytes: number }[] {
  const catalogFile = path.join(siteDir, "catalog.json");
  let catalogText = readFileSync(catalogFile, "utf8");
  const written = readCatalog(siteDir).documents.map((doc) => {
    const pdf = documentPdf(doc);
    writeFileSync(path.join(siteDir, catalogDocumentPath(doc.id)), pdf);
    // Update this document's size in place, keeping the file's layout.
    const entry = new RegExp(`("id":\\s*"${doc.id}"[^}]*"bytes":\\s*)\\d+`);
    if (!entry.test(catalogText)) throw new Error(`${catalogFile}: no "bytes" for document ${doc.id}`);
    catalogText = catalogText.replace(entry, `$1${pdf.length}`);
    return { id: doc.id, bytes: pdf.length };
  });
  writeFileSync(catalogFile, catalogText);
  return written;
}

if (require.main === module) {
  for (const { id, bytes } of writeSitePdfs()) console.log(`site${catalogDocumentPath(id)} (${bytes} bytes)`);
}
