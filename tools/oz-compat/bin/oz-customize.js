#!/usr/bin/env node
import '../dist/oz-customize-cli.js';
