// `npm run generate`: writes the InferenceService CRD generated from the schema in code.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CRD_PATH, crdYaml } from './crd.ts';

const target = fileURLToPath(new URL(`../${CRD_PATH}`, import.meta.url));
writeFileSync(target, crdYaml());
console.log(`wrote ${CRD_PATH}`);
