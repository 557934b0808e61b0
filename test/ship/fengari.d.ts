// The slice of fengari's Lua C API (Lua 5.3 in JavaScript) the health-script tests use.
declare module 'fengari' {
  type LuaState = object;
  type LuaString = Uint8Array;
  type CFunction = (L: LuaState) => number;
  const fengari: {
    to_luastring(text: string): LuaString;
    lua: {
      LUA_OK: number;
      LUA_TNIL: number;
      lua_pcall(L: LuaState, nargs: number, nresults: number, msgh: number): number;
      lua_newtable(L: LuaState): void;
      lua_pushnil(L: LuaState): void;
      lua_pushboolean(L: LuaState, value: boolean): void;
      lua_pushinteger(L: LuaState, value: number): void;
      lua_pushnumber(L: LuaState, value: number): void;
      lua_pushstring(L: LuaState, value: LuaString): void;
      lua_setfield(L: LuaState, index: number, key: LuaString): void;
      lua_getfield(L: LuaState, index: number, key: LuaString): number;
      lua_rawseti(L: LuaState, index: number, n: number): void;
      lua_setglobal(L: LuaState, name: LuaString): void;
      lua_settop(L: LuaState, index: number): void;
      lua_istable(L: LuaState, index: number): boolean;
      lua_tojsstring(L: LuaState, index: number): string | null;
    };
    lauxlib: {
      luaL_newstate(): LuaState;
      luaL_loadstring(L: LuaState, source: LuaString): number;
      luaL_requiref(L: LuaState, name: LuaString, open: CFunction, global: number): void;
    };
    lualib: {
      luaopen_base: CFunction;
      luaopen_table: CFunction;
      luaopen_string: CFunction;
      luaopen_math: CFunction;
    };
  };
  // biome-ignore lint/style/noDefaultExport: fengari is CommonJS; node's ESM import sees module.exports as the default export
  export default fengari;
}
