import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { fromHex, toHex } from "../../core/bytes.ts";
import { z85Decode, z85Encode } from "../../core/z85.ts";

describe("Z85", () => {
  const vectors: [string, string][] = [
    ["864FD26FB559F75B", "HelloWorld"],
    ["00000000", "00000"],
    ["FFFFFFFF", "%nSc0"],
    ["0001020304050607", "009c61o!#m"],
    // The CurveZMQ test keys of digest §7 (libzmq doc/zmq_curve.txt).
    [
      "BB88471D65E2659B30C55A5321CEBB5AAB2B70A398645C26DCA2B2FCB43FC518",
      "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID",
    ],
    [
      "7BB864B489AFA3671FBE69101F94B38972F24816DFB01B51656B3FEC8DFD0888",
      "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs",
    ],
    [
      "54FCBA24E93249969316FB617C872BB0C1D1FF14800427C594CBFACF1BC2D652",
      "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7",
    ],
    [
      "8E0BDD697628B91D8F245587EE95C5B04D48963F79259877B49CD9063AEAD3B7",
      "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6",
    ],
  ];

  test("encodes and decodes the RFC 32 and CurveZMQ vectors", () => {
    for (const [hex, text] of vectors) {
      assert.equal(z85Encode(fromHex(hex)), text);
      assert.equal(toHex(z85Decode(text)), hex.toLowerCase());
    }
  });

  test("round-trips every byte value", () => {
    const bytes = new Uint8Array(256);
    for (let i = 0; i < 256; i++) bytes[i] = i;
    assert.deepEqual(z85Decode(z85Encode(bytes)), bytes);
  });

  test("refuses lengths that are not whole groups", () => {
    assert.throws(() => z85Encode(new Uint8Array(3)), { code: "EINVAL" });
    assert.throws(() => z85Decode(""), { code: "EINVAL" });
    assert.throws(() => z85Decode("abcd"), { code: "EINVAL" });
  });

  test("refuses characters outside the alphabet and groups above 32 bits, as libzmq does", () => {
    assert.throws(() => z85Decode("0000 "), /invalid Z85 character " " at 4/);
    assert.throws(() => z85Decode("0000é"), { code: "EINVAL" });
    assert.throws(() => z85Decode("%%%%%"), /exceeds 32 bits/);
  });
});
