"""Word lists for demo data."""

FIRST_NAMES = (
    "Ada", "Alan", "Amara", "Ana", "Aiko", "Bruno", "Carmen", "Chen", "Dmitri", "Elena", "Fatima", "Hana",
    "Ines", "Jonas", "Kofi", "Lena", "Lucas", "Mei", "Miguel", "Nadia", "Omar", "Priya", "Rafael", "Sofia",
    "Tomas", "Yusuf", "Zara", "Grace", "Kenji", "Laila",
)  # fmt: skip
LAST_NAMES = (
    "Almeida", "Brown", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ito", "Jensen", "Kim",
    "Lopez", "Martin", "Nakamura", "Okafor", "Petrov", "Quinn", "Rossi", "Schmidt", "Tanaka", "Ueda", "Vidal",
    "Weber", "Yamamoto", "Zhang",
)  # fmt: skip
PLACES = (
    "Lisbon", "Madrid", "Paris", "Berlin", "São Paulo", "Tokyo", "Cairo", "Lagos", "Toronto", "Portland",
    "Melbourne", "Osaka", "Lyon", "Munich", "Porto", "Casablanca",
)  # fmt: skip
WORDS = (
    "the", "a", "this", "that", "post", "great", "really", "think", "agree", "disagree", "interesting", "article",
    "point", "thanks", "for", "sharing", "write", "more", "about", "python", "flask", "database", "query", "index",
    "server", "deploy", "test", "code", "review", "design", "pattern", "example", "question", "answer", "clear",
    "helpful", "wrong", "right", "maybe", "always", "never", "sometimes", "reading", "book", "chapter", "author",
    "idea", "problem", "solution", "bug", "feature", "release", "version", "upgrade", "migration", "schema",
    "table", "column", "row", "page", "link", "image", "video", "comment", "reply", "thread", "forum", "user",
    "account", "login", "password", "security", "privacy", "data", "model", "view", "template", "form", "field",
    "button", "menu", "style", "color", "layout", "mobile", "desktop", "browser", "network", "cache", "speed",
    "slow", "fast", "memory", "disk", "cloud", "local", "remote", "team", "project", "plan", "week", "today",
    "yesterday", "tomorrow", "morning", "evening", "coffee", "tea", "music", "travel", "city", "garden", "kitchen",
    "recipe", "weather", "rain", "sun", "winter", "summer", "and", "but", "so", "because", "with", "without",
    "is", "was", "will", "would", "could", "should", "not", "very", "quite", "just", "also", "still", "again",
)  # fmt: skip
SPAM = (
    "Cheap watches!!! Visit my profile for deals",
    "Earn $500 a day from home: https://fast-cash.example/start",
    "Best casino bonus today only, free spins for everyone",
    "Buy followers now, instant delivery, best price",
    "Hot singles in your area want to meet you",
    "Crypto giveaway at https://www.coin-double.example, send 1 coin, receive 2 back",
)  # fmt: skip
