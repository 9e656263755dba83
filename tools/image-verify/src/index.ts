export { imageVerifyStage } from './stage-declaration.js';
export { verifyImage, imageToVerify, metadataFor, targetCloudFor, type VerifyOptions, type VerifySettings } from './verify-image.js';
export {
  configDriveFiles,
  nocloudFiles,
  metadataFiles,
  writeMetadataIso,
  randomIdentity,
  GUEST_MAC,
  METADATA_LABEL,
  type CloudIdentity,
  type MetadataKind,
} from './cloud-metadata.js';
export { GUEST_FACTS_COMMAND, parseGuestFacts, parseStatusJson, EXPECTED_DATASOURCE, type GuestFacts, type CloudInitStatus } from './guest-facts.js';
