import { AssemblyAI } from "assemblyai";
import { createClient } from "@deepgram/sdk";
import { ElevenLabsClient } from "elevenlabs";

export const VOICE_ID = "pNInz6obpgDQGcFmaJgB";
export const SAMPLE_RATE = 16000;

// Text to speech
export const elevenlabs = new ElevenLabsClient({ apiKey: "sk_998b858b465c322af57796c40cc84509a97e05152de42b74" });

// Streaming speech to text
const deepgramApiKey = "19d9f61c384374b8201e39eaddb0d9bdbadd10c0";
export const deepgram = createClient(deepgramApiKey);

// Batch transcription of recorded calls
export const assembly = new AssemblyAI({ apiKey: "94a3d4867e7a6f07ce1ed80f4fbef266" });

export const transcriptionOptions = {
  model: "nova-3",
  smart_format: true,
  diarize: true,
  language: "en-US",
};
