#!/usr/bin/env node
import '../dist/oz-generate-icicle-cli.js';
