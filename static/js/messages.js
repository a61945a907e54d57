// What the server says by code, phrased in each of the page's languages: errors (their code
// and parameters; engine/errors.py) and notices (engine/notices.py). Templates fill {name}
// from the error's or notice's parameters. tests/test_messages.py checks that every code the
// engine can emit has a phrase in each language.

export const NOTICES = {
  en: {
    product_after_division: "read as (…/{divisor})·{factor}: a product right after a division multiplies the quotient. To divide by both, write /({divisor} {factor}).",
  },
  ko: {
    product_after_division: "(…/{divisor})·{factor}(으)로 읽었습니다: 나눗셈 바로 뒤의 곱은 몫에 곱해집니다. 둘 다로 나누려면 /({divisor} {factor})처럼 쓰세요.",
  },
};
