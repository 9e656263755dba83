/**
 * A small block-style YAML writer for the autoinstall user-data ks-render generates. Any string
 * that is not plainly safe is written as a JSON string, which YAML reads as a double-quoted
 * scalar with the same meaning, so no value can open a new key, list item or document.
 */

export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

const PLAIN = /^[A-Za-z0-9_./][A-Za-z0-9_./ -]*$/;
const RESERVED = /^(true|false|yes|no|on|off|y|n|null|~|-?[0-9][0-9_.:eE+-]*|\.inf|\.nan)$/i;

export function yamlScalar(value: string | number | boolean | null): string {
  if (value === null) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (PLAIN.test(value) && !RESERVED.test(value) && !value.endsWith(' ') && !value.includes(' #') && !value.includes(': ')) return value;
  return JSON.stringify(value);
}

function isScalar(v: YamlValue): v is string | number | boolean | null {
  return v === null || typeof v !== 'object';
}

function emit(value: YamlValue, indent: number, out: string[]): void {
  const pad = '  '.repeat(indent);
  if (Array.isArray(value)) {
    if (value.length === 0) return;
    for (const item of value) {
      if (isScalar(item)) out.push(`${pad}- ${yamlScalar(item)}`);
      else if (Array.isArray(item) ? item.length === 0 : Object.keys(item).length === 0) out.push(`${pad}- ${Array.isArray(item) ? '[]' : '{}'}`);
      else {
        const nested: string[] = [];
        emit(item, indent + 1, nested);
        nested[0] = `${pad}- ${nested[0].trimStart()}`;
        out.push(...nested);
      }
    }
    return;
  }
  for (const [key, v] of Object.entries(value as Record<string, YamlValue>)) {
    const k = yamlScalar(key);
    if (isScalar(v)) out.push(`${pad}${k}: ${yamlScalar(v)}`);
    else if (Array.isArray(v) ? v.length === 0 : Object.keys(v).length === 0) out.push(`${pad}${k}: ${Array.isArray(v) ? '[]' : '{}'}`);
    else {
      out.push(`${pad}${k}:`);
      emit(v, indent + 1, out);
    }
  }
}

export function toYaml(value: { [key: string]: YamlValue }): string {
  const out: string[] = [];
  emit(value, 0, out);
  return out.join('\n') + '\n';
}
