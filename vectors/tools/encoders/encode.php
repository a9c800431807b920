<?php
// Real PHP encoders for vectors/encoders.json (run by vectors/tools/generate.py).
// stdin: JSON array of base64 bodies; stdout: JSON array of {name: base64 output | null}.
ini_set('serialize_precision', '-1');
$input = json_decode(file_get_contents('php://stdin'));
$out = [];
$p = 'php json_encode(json_decode(body)';
$variants = [
    "$p) with default flags" => 0,
    "$p, JSON_UNESCAPED_SLASHES)" => JSON_UNESCAPED_SLASHES,
    "$p, JSON_UNESCAPED_UNICODE)" => JSON_UNESCAPED_UNICODE,
    "$p, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE)" => JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE,
    "$p, JSON_PRETTY_PRINT)" => JSON_PRETTY_PRINT,
];
foreach ($input as $body) {
    $value = json_decode(base64_decode($body));
    $row = new stdClass();
    if (json_last_error() === JSON_ERROR_NONE) {
        foreach ($variants as $name => $flags) {
            $text = json_encode($value, $flags);
            $row->$name = $text === false ? null : base64_encode($text);
        }
    }
    $out[] = $row;
}
echo json_encode($out, JSON_UNESCAPED_SLASHES);
