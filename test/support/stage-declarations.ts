/** Every stage's declaration, in pipeline order (for the contract and docs tests). */
import { tdlValidateStage } from '@ozkit/tdl-validate';
import { ksRenderStage } from '@ozkit/ks-render';
import { isoFetchStage } from '@ozkit/iso-fetch';
import { guestInstallStage } from '@ozkit/guest-install';
import { guestCustomizeStage } from '@ozkit/guest-customize';
import { icicleGenStage } from '@ozkit/icicle-gen';
import { imageVerifyStage } from '@ozkit/image-verify';
import { ppm2pngStage } from '@ozkit/ppm2png';
import type { KeyPath } from '@ozkit/build-document';

export interface DeclaredStage {
  name: string;
  needs: readonly string[];
  uses?: readonly KeyPath[];
  produces: KeyPath | readonly KeyPath[];
  readsFailures?: boolean;
}

export const STAGES: DeclaredStage[] = [
  tdlValidateStage,
  ksRenderStage,
  isoFetchStage,
  guestInstallStage,
  guestCustomizeStage,
  icicleGenStage,
  imageVerifyStage,
  ppm2pngStage,
];
