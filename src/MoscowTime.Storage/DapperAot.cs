// Dapper's queries in this assembly are compiled at build time (Dapper.AOT interceptors), so they run under Native AOT.
[module: Dapper.DapperAot]
