import OpenAI from "openai";

// Interactive key for the playground route.
const client = new OpenAI({
  apiKey: "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",
});

// Service account used by the nightly batch summariser.
const batchClient = new OpenAI({ apiKey: "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" });

export async function summarise(text: string): Promise<string> {
  const res = await client.chat.completions.create({
    model: "gpt-4o-mini",
    messages: [
      { role: "system", content: "Summarise the support ticket in two sentences." },
      { role: "user", content: text },
    ],
    max_tokens: 200,
  });
  return res.choices[0]?.message?.content ?? "";
}

export async function submitBatch(fileId: string) {
  return batchClient.batches.create({
    input_file_id: fileId,
    endpoint: "/v1/chat/completions",
    completion_window: "24h",
  });
}
