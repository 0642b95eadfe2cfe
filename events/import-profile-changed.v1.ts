import { ImportProfileCreatedV1 } from "./import-profile-created.v1.js";

/** Full new state of the profile (its Key and entity never change). */
export const ImportProfileChangedV1 = ImportProfileCreatedV1;
