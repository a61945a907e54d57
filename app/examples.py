"""The lecture's examples as presets, titled in English and Korean (the lecture's own words
where it has them). Each one is a valid GraphRequest body."""

from __future__ import annotations

EXAMPLES: list[dict] = [
    {
        "id": "product",
        "title": {"en": "The simplest example: z = x × y",
                  "ko": "초(超)간단 예제: z = x × y"},
        "description": {"en": "One multiplication: ∂z/∂x = y and ∂z/∂y = x.",
                        "ko": "곱셈 하나: ∂z/∂x = y, ∂z/∂y = x"},
        "expression": "z = x*y",
        "values": {"x": 3.0, "y": 4.0},
    },
    {
        "id": "one-variable",
        "title": {"en": "Product rule: f(x) = (x² + 2x) ln x at x = 1",
                  "ko": "곱셈의 미분: f(x) = (x² + 2x) ln x, x = 1"},
        "description": {"en": "The lecture's direct (analytic) derivative: f(1) = 0, f'(1) = 3, as "
                              "torch.autograd.backward gives.",
                        "ko": "직접 미분의 예: f(1) = 0, f'(1) = 3 (torch.autograd.backward 결과와 같음)"},
        "expression": "(x^2 + 2x) * ln(x)",
        "values": {"x": 1.0},
    },
    {
        "id": "two-variables",
        "title": {"en": "Simple example: f(x, y) = (x² + 2x) ln y at (1, 2)",
                  "ko": "간단 예제: f(x, y) = (x² + 2x) ln y, (1, 2)"},
        "description": {"en": "f = 2.0794415, ∂f/∂x = 2.7725887, ∂f/∂y = 1.5; x² is one node with "
                              "local derivative 2x = 2.",
                        "ko": "f = 2.0794415, ∂f/∂x = 2.7725887, ∂f/∂y = 1.5; x²은 국소 미분계수가 "
                              "2x = 2인 노드 하나"},
        "expression": "(x^2 + 2x) * ln(y)",
        "values": {"x": 1.0, "y": 2.0},
        "wrt": ["x", "y"],
    },
    {
        "id": "unit-functions",
        "title": {"en": "Split into unit functions: a = x·x, b = 2x, c = a + b, d = ln y, f = c·d",
                  "ko": "간단 예제: 단위 함수로 세분화 (a, b, c, d)"},
        "description": {"en": "The lecture's forward/backward table. Two edges run from x into a "
                              "(local derivative 1 each) and one through b (2): ∂f/∂x = "
                              "0.6931472·1·1 + 0.6931472·1·1 + 0.6931472·1·2 = 2.7725887.",
                        "ko": "순전파·역전파 표. x에서 a로 가는 간선 두 개(국소 미분계수 각 1)와 b를 "
                              "지나는 간선 하나(2): ∂f/∂x = 0.6931472·1·1 + 0.6931472·1·1 + "
                              "0.6931472·1·2 = 2.7725887"},
        "expression": "a = x*x; b = 2*x; c = a + b; d = ln(y); f = c*d",
        "values": {"x": 1.0, "y": 2.0},
        "wrt": ["x", "y"],
    },
    {
        "id": "logistic",
        "title": {"en": "Example 2: the logistic function σ(x)",
                  "ko": "예제 2: 로지스틱 함수 σ(x)"},
        "description": {"en": "An activation function that neural networks use often, as one "
                              "composite node: σ'(x) = σ(x)(1 − σ(x)).",
                        "ko": "신경망의 활성화 함수로 자주 등장하는 함수 (합성 노드 하나): "
                              "σ'(x) = σ(x)(1 − σ(x))"},
        "expression": "sigmoid(x)",
        "values": {"x": 0.0},
    },
    {
        "id": "logistic-expanded",
        "title": {"en": "Example 2: the logistic function 1 / (1 + e^−x), unit by unit",
                  "ko": "예제 2: 로지스틱 함수 1 / (1 + e^−x), 단위 함수로"},
        "description": {"en": "The same function split into negation, exp, addition and division.",
                        "ko": "같은 함수를 부호 반전, 지수, 덧셈, 나눗셈으로 나눈 그래프"},
        "expression": "1/(1+exp(-x))",
        "values": {"x": 0.0},
    },
    {
        "id": "cs231n",
        "title": {"en": "Example 3: the CS231n neuron 1 / (1 + e^−(w0·x0 + w1·x1 + w2))",
                  "ko": "예제 3: cs231n 함수 그래프 1 / (1 + e^−(w0·x0 + w1·x1 + w2))"},
        "description": {"en": "f = 0.7311; ∂f/∂w0 = −0.1966, ∂f/∂x0 = 0.3932, ∂f/∂w1 = −0.3932, "
                              "∂f/∂x1 = −0.5898, ∂f/∂w2 = 0.1966.",
                        "ko": "f = 0.7311; ∂f/∂w0 = −0.1966, ∂f/∂x0 = 0.3932, ∂f/∂w1 = −0.3932, "
                              "∂f/∂x1 = −0.5898, ∂f/∂w2 = 0.1966"},
        "expression": "1/(1+exp(-(w0*x0 + w1*x1 + w2)))",
        "values": {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0},
    },
    {
        "id": "tensor-2x3",
        "title": {"en": "Tensors: the 2×3 array of np.random.seed(0); rand(6).reshape(2, 3)",
                  "ko": "파이토치 텐서: np.random.seed(0); rand(6).reshape(2, 3)의 2×3 배열"},
        "description": {"en": "The lecture's f(x) = (x² + 2x) ln x on every element of a tensor with "
                              "requires_grad, summed: x.grad holds f'(xᵢ) = (2xᵢ + 2) ln xᵢ + xᵢ + 2 "
                              "for each element, as torch.autograd.backward(f) gives it.",
                        "ko": "requires_grad 텐서의 원소마다 f(x) = (x² + 2x) ln x를 계산해 더한 "
                              "값: x.grad에는 원소마다 f'(xᵢ)가 들어 있다 (torch.autograd.backward 결과)"},
        "expression": "sum((x^2 + 2x) * ln(x))",
        "values": {"x": [[0.5488135, 0.71518937, 0.60276338], [0.54488318, 0.4236548, 0.64589411]]},
    },
    {
        "id": "logistic-cost",
        "title": {"en": "A linear classifier's cost C(w) = −Σ y log σ(Xw) + (1 − y) log(1 − σ(Xw))",
                  "ko": "선형 분류기의 비용 C(w) = −Σ y log σ(Xw) + (1 − y) log(1 − σ(Xw))"},
        "description": {"en": "Six animals (a column of ones for the bias, body mass in 10 kg, ear "
                              "length in 10 cm), dog = 1, cat = 0. Only w requires a gradient: the "
                              "backward pass gives ∇C = Xᵀ(σ(Xw) − y), one vector-Jacobian product "
                              "per node.",
                        "ko": "동물 여섯 마리 (편향용 1, 몸무게(10 kg), 귀 길이(10 cm)), 개 = 1, "
                              "고양이 = 0. w만 미분: 역전파가 노드마다 벡터-야코비안 곱으로 "
                              "∇C = Xᵀ(σ(Xw) − y)를 낸다"},
        "expression": "C = -sum(y * ln(sigmoid(X @ w)) + (1 - y) * ln(1 - sigmoid(X @ w)))",
        "values": {"X": [[1.0, 0.5, 1.2], [1.0, 3.0, 0.6], [1.0, 0.8, 1.0], [1.0, 2.5, 0.4],
                         [1.0, 1.2, 1.4], [1.0, 3.5, 0.5]],
                   "y": [0.0, 1.0, 0.0, 1.0, 0.0, 1.0],
                   "w": [0.1, 0.5, -0.5]},
        "requires_grad": ["w"],
    },
    {
        "id": "neuron-vector",
        "title": {"en": "Example 3 with vectors: σ(w · x + b)",
                  "ko": "예제 3을 벡터로: σ(w · x + b)"},
        "description": {"en": "The CS231n neuron with a weight vector w = (2, −3), inputs x = (−1, −2) "
                              "and bias b = −3: f = 0.7311, ∂f/∂w = (−0.1966, −0.3932), ∂f/∂x = "
                              "(0.3932, −0.5898), ∂f/∂b = 0.1966, as the scalar graph gives.",
                        "ko": "가중치 벡터 w = (2, −3), 입력 x = (−1, −2), 편향 b = −3인 cs231n 뉴런: "
                              "f = 0.7311, ∂f/∂w = (−0.1966, −0.3932), ∂f/∂x = (0.3932, −0.5898), "
                              "∂f/∂b = 0.1966 (스칼라 그래프와 같음)"},
        "expression": "sigmoid(w @ x + b)",
        "values": {"w": [2.0, -3.0], "x": [-1.0, -2.0], "b": -3.0},
    },
]
