// chat_template.h — renders a conversation into prompt text for the two template
// families skim supports, reproducing what the GGUF's own Jinja template renders
// (this is not a Jinja engine; the family is detected from marker strings):
//   ChatML (template contains "<|im_start|>", e.g. SmolLM2):
//     [default system turn] + "<|im_start|>{role}\n{content}<|im_end|>\n" per message
//     + "<|im_start|>assistant\n" with add_generation_prompt. The default system turn is
//     the string literal the template emits when the first message is not a system
//     message (SmolLM2: "...named SmolLM, trained by Hugging Face"); templates without
//     that clause render none.
//   Gemma (template contains "<start_of_turn>"):
//     bos_text + turns "<start_of_turn>{user|model}\n{content|trim}<end_of_turn>\n",
//     a leading system message folded into the first turn as content + "\n\n", roles
//     required to alternate user/assistant, + "<start_of_turn>model\n" with
//     add_generation_prompt. Pass bos_text = "" when the tokenizer adds BOS itself.
// Anything else is an Error.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "core/result.h"

namespace skim::tok {

struct ChatMessage {
  std::string role;
  std::string content;
};

enum class ChatTemplateKind { kChatMl, kGemma };

Result<ChatTemplateKind> detect_chat_template(std::string_view template_text);

Result<std::string> apply_chat_template(std::string_view template_text, std::span<const ChatMessage> msgs,
                                        bool add_generation_prompt, std::string_view bos_text);

}  // namespace skim::tok
