// Runs an Argo CD resource health script on a real Lua interpreter (fengari, Lua 5.3 in
// JavaScript) the way Argo CD does: the resource is the global `obj`, the script returns
// a table {status, message}. Numbers that are integers in JSON are Lua integers, so
// `tostring(generation)` prints "5" as Argo CD's Lua 5.1 does, not "5.0".
import fengari from 'fengari';

const { lua, lauxlib, lualib, to_luastring } = fengari;
type LuaState = ReturnType<typeof lauxlib.luaL_newstate>;

export interface HealthStatus {
  readonly status: string;
  readonly message: string;
}

export type HealthResult =
  | { readonly ok: true; readonly value: HealthStatus }
  | { readonly ok: false; readonly kind: 'LuaError' | 'BadReturn'; readonly message: string };

/** Evaluates a health.lua script against one resource (plain JSON data). */
export function runHealthScript(script: string, resource: unknown): HealthResult {
  const L = lauxlib.luaL_newstate();
  openArgoLibraries(L);
  pushJson(L, resource);
  lua.lua_setglobal(L, to_luastring('obj'));
  if (lauxlib.luaL_loadstring(L, to_luastring(script)) !== lua.LUA_OK || lua.lua_pcall(L, 0, 1, 0) !== lua.LUA_OK) {
    return { ok: false, kind: 'LuaError', message: lua.lua_tojsstring(L, -1) ?? 'unknown Lua error' };
  }
  if (!lua.lua_istable(L, -1)) return { ok: false, kind: 'BadReturn', message: 'the script did not return a table' };
  const status = stringField(L, 'status');
  const message = stringField(L, 'message');
  if (status === null) return { ok: false, kind: 'BadReturn', message: 'the returned table has no status' };
  return { ok: true, value: { status, message: message ?? '' } };
}

// Argo CD's script VM offers these libraries (no io, os or package), so a script that
// passes here cannot lean on anything Argo CD lacks.
function openArgoLibraries(L: LuaState): void {
  const libraries = [
    ['_G', lualib.luaopen_base],
    ['table', lualib.luaopen_table],
    ['string', lualib.luaopen_string],
    ['math', lualib.luaopen_math],
  ] as const;
  for (const [name, open] of libraries) {
    lauxlib.luaL_requiref(L, to_luastring(name), open, 1);
    lua.lua_settop(L, 0);
  }
}

function stringField(L: LuaState, key: string): string | null {
  lua.lua_getfield(L, -1, to_luastring(key));
  const value = lua.lua_tojsstring(L, -1);
  lua.lua_settop(L, -2);
  return value;
}

// JSON null and undefined become nil, as in Argo CD's conversion of unstructured objects.
function pushJson(L: LuaState, value: unknown): void {
  if (value === null || value === undefined) lua.lua_pushnil(L);
  else if (typeof value === 'boolean') lua.lua_pushboolean(L, value);
  else if (typeof value === 'number') {
    if (Number.isInteger(value)) lua.lua_pushinteger(L, value);
    else lua.lua_pushnumber(L, value);
  } else if (typeof value === 'string') lua.lua_pushstring(L, to_luastring(value));
  else if (Array.isArray(value)) pushArray(L, value);
  else if (typeof value === 'object') pushObject(L, value as Record<string, unknown>);
  else throw new TypeError(`cannot convert ${typeof value} to Lua`);
}

function pushArray(L: LuaState, items: readonly unknown[]): void {
  lua.lua_newtable(L);
  items.forEach((item, index) => {
    pushJson(L, item);
    lua.lua_rawseti(L, -2, index + 1);
  });
}

function pushObject(L: LuaState, fields: Record<string, unknown>): void {
  lua.lua_newtable(L);
  for (const [key, item] of Object.entries(fields)) {
    pushJson(L, item);
    lua.lua_setfield(L, -2, to_luastring(key));
  }
}
