// Parses T-SQL files with Microsoft's own parser (ScriptDom), as Synapse's SQL dialect: the test
// for lake/synapse/views.sql (test/lake/synapseSql.test.ts). Prints one JSON object: for each
// file and parser version, the errors ScriptDom reports (none means the script parses).
using System.Text.Json;
using Microsoft.SqlServer.TransactSql.ScriptDom;

var parsers = new (string Name, Func<TSqlParser> Make)[]
{
    ("TSql160", () => new TSql160Parser(initialQuotedIdentifiers: true)),
    ("TSql170", () => new TSql170Parser(initialQuotedIdentifiers: true)),
};
var results = new List<object>();
foreach (var file in args)
{
    foreach (var (name, make) in parsers)
    {
        using var reader = new StreamReader(file);
        make().Parse(reader, out IList<ParseError> errors);
        results.Add(new
        {
            file,
            parser = name,
            errors = errors.Select(e => new { line = e.Line, column = e.Column, message = e.Message }).ToList(),
        });
    }
}
Console.WriteLine(JsonSerializer.Serialize(results));
