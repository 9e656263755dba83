#!/usr/bin/env node
import '../dist/oz-cleanup-cache-cli.js';
